/** `cldemo lab up|down|status|exec`: thin adapters over src/lab. */
import type { Command } from 'commander';
import { labDown, labExec, labStatus, labUp, type LabStatus } from '../lab/index.js';
import { bad, dim, ok, printJson, progress, table } from '../output.js';
import type { Plan } from '../topology/types.js';
import { topologyOption } from './common.js';
import { registerCapture } from './lab-capture.js';
import { catchInterrupts } from '../interrupt.js';
import { withLock } from '../lock.js';

type Load = (opts: { topology?: string }) => Promise<Plan>;

export function registerLab(program: Command, load: Load): void {
  const lab = program.command('lab').description('the embedded lab: the topology as local namespaces (switches with FRR, servers with dockerd)');
  registerUp(lab, load);
  registerDown(lab, load);
  registerStatus(lab, load);
  registerExec(lab, load);
  registerCapture(lab, load);
  for (const c of lab.commands) c.exitOverride();
  lab.exitOverride();
}

function registerUp(lab: Command, load: Load): void {
  topologyOption(lab.command('up').description('build the lab: every node answering on SSH, every daemon running'))
    .option('--no-install', 'do not install missing Debian packages; fail instead')
    .action(async (opts: { topology: string; install: boolean }) => {
      const plan = await load(opts);
      await withLock(plan.name, 'lab', async () => {
        const p = progress();
        const interrupts = catchInterrupts();
        try {
          await labUp(plan, {
            install: opts.install,
            log: (node, msg) => (msg === 'ready' || msg === 'already up' ? p.done(node, msg) : p.step(node, msg)),
            signal: interrupts.signal,
          });
        } finally {
          p.stop();
          interrupts.dispose();
        }
      });
      const ssh = plan.switches[0]?.mgmt ?? plan.servers[0]?.mgmt;
      console.log(`lab ${plan.name} is up: ${plan.switches.length + plan.servers.length} nodes`);
      if (ssh) console.log(dim(`ssh -i ${ssh.identityFile} -o UserKnownHostsFile=${ssh.knownHosts} ${ssh.user}@${ssh.host}`));
    });
}

function registerDown(lab: Command, load: Load): void {
  topologyOption(lab.command('down').description('remove every namespace, mount, interface and process of the lab'))
    .action(async (opts: { topology: string }) => {
      const plan = await load(opts);
      await withLock(plan.name, 'lab', () => labDown(plan));
      console.log(`lab ${plan.name} is down`);
    });
}

function registerStatus(lab: Command, load: Load): void {
  topologyOption(lab.command('status').description('show each node and its daemons'))
    .option('--json', 'print one JSON document')
    .action(async (opts: { topology: string; json?: boolean }) => {
      const status = await labStatus(await load(opts));
      if (opts.json) printJson(status);
      else console.log(statusTable(status));
    });
}

function statusTable(s: LabStatus): string {
  const state = (v: string) => (v === 'running' ? ok(v) : bad(v));
  const rows = s.nodes.map((n) => [
    n.name,
    n.role,
    n.mgmt_ip,
    state(n.state),
    Object.entries(n.daemons)
      .map(([d, up]) => (up ? d : bad(`${d}!`)))
      .join(' '),
  ]);
  const head = `lab ${s.name}: ${s.up ? ok('up') : bad('not up')}`;
  return `${head}\n${table(['NODE', 'ROLE', 'MGMT', 'STATE', 'DAEMONS'], rows)}`;
}

function registerExec(lab: Command, load: Load): void {
  topologyOption(
    lab
      .command('exec')
      .description('run a command inside a node; its exit code is passed on')
      .argument('<node>', 'node name')
      .argument('<command...>', 'command and arguments (after --)'),
  ).action(async (node: string, argv: string[], opts: { topology: string }) => {
    process.exitCode = await labExec(await load(opts), node, argv);
  });
}
