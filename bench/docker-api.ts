#!/usr/bin/env node
/**
 * Docker API round trip: dockerode's own `protocol: 'ssh'` (a new SSH handshake and a
 * `docker system dial-stdio` per call) versus cldemo's shared connection (one handshake,
 * stream-local channels to /var/run/docker.sock), side by side against the same node.
 *
 *   node dist/bench/docker-api.js [--quick] [-n CALLS] [--json FILE]
 *
 * Needs root (it builds a namespace node with sshd and dockerd) and `npm run build`.
 * Exported as runDockerApiBench() for the bench suite (issue 6, scenario 3).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Docker from 'dockerode';
import { checkHostKey, connectNode, parseKnownHosts, type DockerodeEngine } from 'cldemo/bench';
import { ROOT } from './lib/measure.js';
import { startSshDockerNode, type SshDockerNode } from './lib/ssh-docker-node.js';

interface Spread {
  medianMs: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

export interface DockerApiResult {
  scenario: 'docker-api';
  calls: number;
  /** dockerode ssh / shared, GET /version, by median: the figure the target (>= 20x) is about */
  ratio: number;
  byCall: { call: string; dockerodeSsh: Spread; shared: Spread; onNode: Spread; ratioMedian: number; ratioP95: number }[];
  sharedConnectMs: number;
  sharedChannelsOpened: number;
  machine: ReturnType<typeof machine>;
}

/** The calls timed on both transports: only what dockerode and our DockerEngine both offer. */
interface DockerCalls {
  version(): Promise<unknown>;
  ping(): Promise<unknown>;
}

// /version is the headline (FACTS.md measured it); dockerd runs runc and containerd to
// answer it, so /_ping shows what the transport alone costs.
const CALLS: [string, (docker: DockerCalls) => Promise<unknown>][] = [
  ['GET /version', (docker) => docker.version()],
  ['GET /_ping', (docker) => docker.ping()],
];

export async function runDockerApiBench({ calls = 20 }: { calls?: number } = {}): Promise<DockerApiResult> {
  const node = await startSshDockerNode();
  try {
    const local = timeOnNode(node, calls);
    const shared = await timeShared(node, calls);
    const dockerodeSsh = await timeDockerodeSsh(node, calls);
    const byCall = CALLS.map(([call], i) => ({
      call,
      dockerodeSsh: summarize(dockerodeSsh[i]),
      shared: summarize(shared.samples[i]),
      onNode: summarize(local[i]),
      ratioMedian: round(median(dockerodeSsh[i]) / median(shared.samples[i])),
      ratioP95: round(percentile(dockerodeSsh[i], 95) / percentile(shared.samples[i], 95)),
    }));
    return {
      scenario: 'docker-api',
      calls,
      ratio: byCall[0].ratioMedian, // the figure the target (>= 20x) is about
      byCall,
      sharedConnectMs: round(shared.connectMs),
      sharedChannelsOpened: shared.channelsOpened,
      machine: machine(node),
    };
  } finally {
    await node.stop();
  }
}

async function timeShared(node: SshDockerNode, calls: number): Promise<{ samples: number[][]; connectMs: number; channelsOpened: number }> {
  const t0 = performance.now();
  const conn = await connectNode(node.name, node.mgmt);
  const connectMs = performance.now() - t0;
  try {
    const docker = conn.docker() as DockerodeEngine;
    await docker.version(); // the first call opens the channel the others reuse
    const samples = [];
    for (const [, call] of CALLS) samples.push(await timeCalls(() => call(docker), calls));
    return { samples, connectMs, channelsOpened: docker.channelsOpened };
  } finally {
    await conn.close();
  }
}

async function timeDockerodeSsh(node: SshDockerNode, calls: number): Promise<number[][]> {
  const entries = parseKnownHosts(readFileSync(node.knownHosts, 'utf8'));
  const docker = new Docker({
    protocol: 'ssh',
    host: node.host,
    port: node.port,
    username: node.user,
    sshOptions: {
      privateKey: readFileSync(node.identityFile),
      hostVerifier: (key: Buffer) => checkHostKey(entries, node.host, node.port, key).ok,
    },
  });
  await docker.version(); // same warm-up as the shared side
  const samples = [];
  for (const [, call] of CALLS) samples.push(await timeCalls(() => call(docker), calls));
  return samples;
}

// The floor: the same requests from a process on the node, straight to the socket.
const ON_NODE = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true });
const get = (path) => new Promise((ok, fail) => http.get({ socketPath: '/var/run/docker.sock', path, agent }, (res) => res.resume().on('end', ok)).on('error', fail));
(async () => {
  const out = [];
  for (const path of ['/version', '/_ping']) {
    await get(path);
    const samples = [];
    for (let i = 0; i < Number(process.argv[1]); i += 1) { const t = performance.now(); await get(path); samples.push(performance.now() - t); }
    out.push(samples);
  }
  console.log(JSON.stringify(out));
  agent.destroy();
})();`;

function timeOnNode(node: SshDockerNode, calls: number): number[][] {
  return JSON.parse(node.exec(process.execPath, ['-e', ON_NODE, String(calls)]));
}

async function timeCalls(call: () => Promise<unknown>, n: number): Promise<number[]> {
  const samples = [];
  for (let i = 0; i < n; i += 1) {
    const t = performance.now();
    await call();
    samples.push(performance.now() - t);
  }
  return samples;
}

function summarize(samples: number[]): Spread {
  return {
    medianMs: round(median(samples)),
    p95Ms: round(percentile(samples, 95)),
    minMs: round(Math.min(...samples)),
    maxMs: round(Math.max(...samples)),
  };
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function median(samples: number[]): number {
  return percentile(samples, 50);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function machine(node: SshDockerNode) {
  const version = (cmd: string, args: string[]): string => {
    const res = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${res.stdout}${res.stderr}`.trim().split('\n')[0];
  };
  return {
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((x) => round(x)).join(' '),
    node: process.version,
    dockerd: node.exec('docker', ['version', '--format', '{{.Server.Version}}']).trim(),
    openssh: version('ssh', ['-V']),
    dockerode: packageVersion('dockerode'),
    ssh2: packageVersion('ssh2'),
  };
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

export function formatTable(r: DockerApiResult): string {
  const cells = (...xs: (string | number)[]): string => xs.map((x) => String(x).padStart(9)).join('');
  const lines = [
    `Docker API round trip, ${r.calls} sequential calls each (ms)`,
    `${'call'.padEnd(14)}${'transport'.padEnd(32)}${cells('median', 'p95', 'min', 'max')}`,
  ];
  for (const c of r.byCall) {
    lines.push(`${c.call.padEnd(14)}${"dockerode protocol:'ssh'".padEnd(32)}${cells(c.dockerodeSsh.medianMs, c.dockerodeSsh.p95Ms, c.dockerodeSsh.minMs, c.dockerodeSsh.maxMs)}`);
    lines.push(`${''.padEnd(14)}${'shared SSH connection'.padEnd(32)}${cells(c.shared.medianMs, c.shared.p95Ms, c.shared.minMs, c.shared.maxMs)}`);
    lines.push(`${''.padEnd(14)}${'on the node, no SSH (floor)'.padEnd(32)}${cells(c.onNode.medianMs, c.onNode.p95Ms, c.onNode.minMs, c.onNode.maxMs)}`);
    lines.push(`${''.padEnd(14)}ratio ${c.ratioMedian}x by median, ${c.ratioP95}x by p95`);
  }
  lines.push(`ratio (GET /version, median): ${r.ratio}x, target >= 20x: ${r.ratio >= 20 ? 'met' : 'MISSED'}`);
  lines.push(`shared connection: one ${r.sharedConnectMs} ms handshake, ${r.sharedChannelsOpened} channel(s) for ${r.calls * CALLS.length + 1} calls`);
  lines.push(`machine: ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, load ${r.machine.loadAverage}, node ${r.machine.node}, dockerd ${r.machine.dockerd}, ${r.machine.openssh}`);
  return lines.join('\n');
}

function parseArgs(argv: string[]): { calls: number; json: string | undefined } {
  const args: { calls: number; json: string | undefined } = { calls: 20, json: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--quick') args.calls = 5;
    else if (argv[i] === '-n') args.calls = Number(argv[++i]);
    else if (argv[i] === '--json') args.json = argv[++i];
    else throw new Error(`unknown argument ${argv[i]} (use --quick, -n CALLS, --json FILE)`);
  }
  if (!Number.isInteger(args.calls) || args.calls < 1) throw new Error('-n needs a positive whole number');
  return args;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const args = parseArgs(process.argv.slice(2));
    const result = await runDockerApiBench(args);
    console.log(formatTable(result));
    if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  } catch (err) {
    console.error(`docker-api bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
