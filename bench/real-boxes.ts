#!/usr/bin/env node
/**
 * Real boxes (issue 15): what reaching the nodes as an unprivileged user with sudo, and
 * through a jump host, costs. On the default topology in the lab (its own name and
 * management subnet), driven as provider external three ways:
 *
 *   root   root@node, straight (what the lab itself does)
 *   sudo   cldemo@node with ssh.sudo: every command through sudo -n, uploads installed
 *          with sudo, the Docker API through `sudo docker system dial-stdio`
 *   jump   as sudo, every node reached through spine01 as the bastion (ssh2 forwardOut)
 *
 * Each round: `down --purge-config` (untimed: every switch gets its previous config back,
 * so the next `up` redoes everything), then `up` timed; rounds interleave the modes. Then
 * the Docker API per call on one server: stream-local to the socket (root) vs dial-stdio.
 *
 *   node dist/bench/real-boxes.js [--quick] [--json FILE]
 *
 * Needs root and `npm run build`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { connectNode, labDown, labStatus, labUp, loadPlan, type Plan } from 'cldemo/bench';
import { LABS, ownCopy } from './lib/labs.js';
import { cldemo, cldemoOrThrow, machineInfo, percentile, ROOT } from './lib/measure.js';

const MODES = ['root', 'sudo', 'jump'] as const;
type Mode = (typeof MODES)[number];

function log(message: string): void {
  process.stderr.write(`[real-boxes ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function externalTopologies(dir: string, labPlan: Plan): Promise<Record<Mode, string>> {
  const status = await labStatus(labPlan);
  let text = readFileSync(labPlan.file, 'utf8').replace(/^provider: lab/m, 'provider: external');
  for (const n of status.nodes) {
    text = text.replace(new RegExp(`^(  ${n.name}:\\s*\\{)`, 'm'), `$1 mgmt: { host: ${n.mgmt_ip} },`).replace(new RegExp(`^(  ${n.name}:)\\s*$`, 'm'), `$1\n    mgmt: { host: ${n.mgmt_ip} }`);
  }
  const { identity_file: key, known_hosts: known, sudo_user: user } = status.ssh;
  const bastion = status.nodes.find((n) => n.role === 'spine')!.mgmt_ip;
  const lines: Record<Mode, string> = {
    root: `{ user: root, identity_file: ${key}, known_hosts: ${known} }`,
    sudo: `{ user: ${user}, sudo: true, identity_file: ${key}, known_hosts: ${known} }`,
    jump: `{ user: ${user}, sudo: true, identity_file: ${key}, known_hosts: ${known}, jump: ${user}@${bastion} }`,
  };
  const files = {} as Record<Mode, string>;
  for (const m of MODES) {
    files[m] = join(dir, `${m}.yaml`);
    writeFileSync(files[m], `${text}\nssh: ${lines[m]}\n`);
  }
  return files;
}

/** Milliseconds per Docker API call (GET /version) on `server`, reached as `mode`. */
async function dockerCalls(plan: Plan, server: string, calls: number): Promise<{ route: string; firstMs: number; samples: number[] }> {
  const node = plan.servers.find((s) => s.name === server)!;
  const conn = (await connectNode(server, node.mgmt)) as Awaited<ReturnType<typeof connectNode>> & { dockerVia?: string };
  try {
    const docker = conn.docker();
    let t = performance.now();
    await docker.version();
    const firstMs = performance.now() - t;
    const samples: number[] = [];
    for (let i = 0; i < calls; i += 1) {
      t = performance.now();
      await docker.version();
      samples.push(performance.now() - t);
    }
    return { route: conn.dockerVia ?? 'socket', firstMs, samples };
  } finally {
    await conn.close();
  }
}

const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const signed = (text: string): string => (text.startsWith('-') ? text : `+${text}`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'string' } } });
  const rounds = values.quick ? 1 : 3;
  const calls = values.quick ? 5 : 20;
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-real-boxes-'));
  const labFile = ownCopy(LABS.breal, dir);
  const labPlan = await loadPlan(labFile);
  const up: Record<Mode, number[]> = { root: [], sudo: [], jump: [] };
  let docker: Record<'socket' | 'dialStdio', Awaited<ReturnType<typeof dockerCalls>>> | undefined;
  try {
    await labDown(labPlan).catch(() => undefined);
    log('lab up (default topology)');
    await labUp(labPlan, { install: false, log: () => undefined });
    const files = await externalTopologies(dir, labPlan);
    log('warm-up: the first up also uploads the agent; not timed');
    await cldemoOrThrow(['up'], { topology: files.root });
    for (let round = 1; round <= rounds; round += 1) {
      for (const m of MODES) {
        await cldemoOrThrow(['down', '--purge-config'], { topology: files[m] });
        const r = await cldemo(['up'], { topology: files[m] });
        if (!r.ok) throw new Error(`${r.command} failed: ${r.error}`);
        up[m].push(r.ms);
        log(`round ${round}: up as ${m}: ${fmt(r.ms)}`);
      }
    }
    await cldemoOrThrow(['down', '--purge-config'], { topology: files.root });
    const server = labPlan.servers[0].name;
    docker = {
      socket: await dockerCalls(await loadPlan(files.root), server, calls),
      dialStdio: await dockerCalls(await loadPlan(files.sudo), server, calls),
    };
  } finally {
    await labDown(labPlan).catch((e: unknown) => log(`lab down failed: ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => percentile(xs, 50);
  const rows: string[][] = [['figure', 'n', 'median', 'vs root']];
  for (const m of MODES) rows.push([`up, default topology, as ${m}`, String(up[m].length), fmt(median(up[m])), m === 'root' ? '' : `${signed(fmt(median(up[m]) - median(up.root)))} (${(median(up[m]) / median(up.root)).toFixed(2)} x)`]);
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  rows.push([`Docker GET /version, ${docker!.socket.route} (root), first call`, '1', ms(docker!.socket.firstMs), '']);
  rows.push([`Docker GET /version, ${docker!.socket.route} (root), kept-alive`, String(calls), ms(median(docker!.socket.samples)), '']);
  rows.push([`Docker GET /version, ${docker!.dialStdio.route} (sudo), first call`, '1', ms(docker!.dialStdio.firstMs), signed(ms(docker!.dialStdio.firstMs - docker!.socket.firstMs))]);
  rows.push([`Docker GET /version, ${docker!.dialStdio.route} (sudo), kept-alive`, String(calls), ms(median(docker!.dialStdio.samples)), signed(ms(median(docker!.dialStdio.samples) - median(docker!.socket.samples)))]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  process.stdout.write(`${rows.map((r) => r.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n')}\n`);
  const { machine, versions } = machineInfo();
  process.stdout.write(`${machine.cores} cores (${machine.cpu}), ${machine.memory_gib} GiB; cldemo ${versions.cldemo}, node ${versions.node}, kernel ${versions.kernel}\n`);
  const jsonFile = values.json ?? join(ROOT, 'bench', 'results', `real-boxes-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(jsonFile, '..'), { recursive: true });
  writeFileSync(jsonFile, `${JSON.stringify({ scenario: 'real-boxes', rounds, up_ms: up, docker_api_ms: docker, ...machineInfo() }, null, 2)}\n`);
}

main().catch((e: unknown) => {
  log(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
