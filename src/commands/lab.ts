/** `cldemo lab up|down|status|exec|list`: thin adapters over src/lab. */
import type { Command } from 'commander';
import { assertLabName, labDown, labDownByName } from '../lab/down.js';
import { labExec } from '../lab/exec.js';
import { labList, labStatus, type LabListing, type LabStatus } from '../lab/inspect.js';
import { labUp } from '../lab/up.js';
import { UsageError } from '../errors.js';
import { bad, dim, ok, printJson, progress, table } from '../output.js';
import type { Plan } from '../topology/types.js';
import { topologyOption } from './common.js';
import { registerCapture } from './lab-capture.js';
import { registerFaults } from './lab-faults.js';
import { catchInterrupts } from '../interrupt.js';
import { withLock } from '../lock.js';
import { requireRoot } from '../lab/host.js';
import { labStateRoot } from '../lab/state.js';

type Load = (opts: { topology?: string }) => Promise<Plan>;

export function registerLab(program: Command, load: Load): void {
  const lab = program.command('lab').description('the embedded lab: the topology as local namespaces (switches with FRR, servers with dockerd)');
  registerUp(lab, load);
  registerDown(lab, load);
  registerStatus(lab, load);
  registerExec(lab, load);
  registerCapture(lab, load);
  registerList(lab);
  registerFaults(lab, load);
  // before a topology is read or a lock taken: as another user the lab's state is unreadable, so
  // its answers would be wrong (every node "stopped", "no labs") rather than refused
  // `lab link` also drives real boxes (provider external) as an ordinary user: it asks for root itself, on the lab only
  lab.hook('preAction', (_lab, sub) => {
    if (sub.name() === 'link') return;
    requireRoot(
      `cldemo lab ${sub.name()} works on network namespaces, mounts and the labs' root-only state in ${labStateRoot()}: ` +
        `run it as root (sudo cldemo lab ${sub.name()} ...)`,
    );
  });
  for (const c of lab.commands) c.exitOverride();
  lab.exitOverride();
}

function registerUp(lab: Command, load: Load): void {
  topologyOption(lab.command('up').description('build the lab: every node answering on SSH, every daemon running'))
    .option('--no-install', 'do not install missing Debian packages; fail instead')
    .option('--keep-on-failure', 'leave a partly built lab for inspection instead of removing it')
    .action(async (opts: { topology: string; install: boolean; keepOnFailure?: boolean }) => {
      const plan = await load(opts);
      await withLock(plan.name, 'lab', async () => {
        const p = progress();
        const interrupts = catchInterrupts();
        try {
          await labUp(plan, {
            install: opts.install,
            keepOnFailure: opts.keepOnFailure,
            log: (node, msg, finished) => (finished ? p.done(node, msg) : p.step(node, msg)),
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
    .option('--name <name>', 'the lab of that name (see `lab list`), without reading a topology file')
    .option('--all', 'every lab on this host (see `lab list`)')
    .action(async (opts: { topology: string; name?: string; all?: boolean }) => {
      if (opts.name !== undefined && opts.all) throw new UsageError('lab down: give --name NAME or --all, not both');
      if (opts.all || opts.name !== undefined) {
        const names = opts.all ? labList().map((l) => l.name) : [opts.name!];
        for (const name of names) {
          assertLabName(name);
          if (await withLock(name, 'lab', () => labDownByName(name))) console.log(`lab ${name} is down`);
          else if (!opts.all) throw new UsageError(`lab down --name ${name}: no lab of that name on this host (\`cldemo lab list\` shows them)`);
        }
        if (opts.all && names.length === 0) console.log('no labs on this host');
        return;
      }
      const plan = await load(opts);
      await withLock(plan.name, 'lab', () => labDown(plan));
      console.log(`lab ${plan.name} is down`);
    });
}

function registerList(lab: Command): void {
  lab
    .command('list')
    .description('every lab on this host, from its state directory (even when its topology file is gone)')
    .option('--json', 'print one JSON document')
    .action((opts: { json?: boolean }) => {
      const labs = labList();
      if (opts.json) printJson({ labs });
      else console.log(labs.length ? listTable(labs) : 'no labs on this host');
    });
}

function listTable(labs: LabListing[]): string {
  const rows = labs.map((l) => [
    l.name,
    l.complete ? `${l.nodes}` : bad(`${l.namespaces}/${l.nodes} (incomplete)`),
    l.up_since.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    l.topology === null ? '-' : l.topology_exists ? l.topology : `${l.topology} ${bad('(gone)')}`,
  ]);
  return table(['NAME', 'NODES', 'UP SINCE', 'TOPOLOGY'], rows);
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
