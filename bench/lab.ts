/**
 * How fast the lab comes and goes: `lab up` (image cached) and `lab down` of the default
 * topology, the first run with an empty image cache, and 10 vs 34 nodes (2 spines, 8 leaves,
 * 24 servers) to show the cost per added node. Needs root and `npm run build`.
 *
 *   node dist/bench/lab.js [--runs N] [--skip-uncached] [--skip-big]
 *
 * Labs run under a private state directory and their own names, so a lab the user has up
 * is never touched; the machine-wide image cache is only read.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { labDown, labUp, loadPlan, type LabUpOptions, type Plan } from 'cldemo/bench';
import { LABS } from './lib/labs.js';
import { ROOT } from './lib/measure.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 3;
const work = mkdtempSync(join(tmpdir(), 'cldemo-labbench-'));
process.env.CLDEMO_STATE_DIR = join(work, 'state');

/** The default topology's shape scaled out: `leaves` racks of `perLeaf` servers under 2 spines. */
function fabric(name: string, leaves: number, perLeaf: number, mgmtSubnet: string): object {
  const switches: Record<string, { role: string; asn: number; loopback: string }> = { spine01: { role: 'spine', asn: 65020, loopback: '10.0.0.21' }, spine02: { role: 'spine', asn: 65020, loopback: '10.0.0.22' } };
  const servers: Record<string, object> = {};
  const links: [string, string][] = [];
  for (let l = 1; l <= leaves; l++) {
    const leaf = `leaf${String(l).padStart(2, '0')}`;
    switches[leaf] = { role: 'leaf', asn: 65010 + l, loopback: `10.0.0.${10 + l}` };
    links.push([`spine01:swp${l}`, `${leaf}:swp51`], [`spine02:swp${l}`, `${leaf}:swp52`]);
    for (let s = 1; s <= perLeaf; s++) {
      const n = (l - 1) * perLeaf + s;
      servers[`server${String(n).padStart(2, '0')}`] = {
        uplink: { interface: 'eth1', address: `172.16.1.${200 + n}`, leaf, port: `swp${s}` },
        containers: [`172.16.1.${n + 10}`],
      };
    }
  }
  return { name, provider: 'lab', subnet: '172.16.1.0/24', gateway: '172.16.1.1', lab: { mgmt_subnet: mgmtSubnet }, switches, servers, links };
}

async function planFor(name: string, leaves: number, perLeaf: number, mgmtSubnet: string): Promise<Plan> {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, stringify(fabric(name, leaves, perLeaf, mgmtSubnet)));
  return loadPlan(file);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const quiet: LabUpOptions = { install: false, log: () => {} };
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const line = (what: string, ms: number, extra = ''): void => console.log(`${what.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(6)} s ${extra}`);

/** A signal skips the finally below: remove the lab being measured, then exit. */
function interrupted(signal: NodeJS.Signals, code: number): void {
  const name = current?.name;
  if (name) process.stderr.write(`${signal}: removing lab ${name} before exiting\n`);
  if (name) spawnSync(process.execPath, [join(ROOT, 'bin', 'cldemo.js'), 'lab', 'down', '--name', name], { stdio: 'inherit', timeout: 120_000 });
  process.exit(code);
}

async function upDown(plan: Plan, label: string, n: number, opts = quiet): Promise<{ up: number; down: number; nodes: number }> {
  const ups: number[] = [];
  const downs: number[] = [];
  for (let i = 0; i < n; i++) {
    ups.push(await timed(() => labUp(plan, opts)));
    downs.push(await timed(() => labDown(plan)));
  }
  const nodes = plan.switches.length + plan.servers.length;
  line(`${label}: lab up (${nodes} nodes, median of ${n})`, median(ups), `[${ups.map((x) => (x / 1000).toFixed(2)).join(' ')}]`);
  line(`${label}: lab down (median of ${n})`, median(downs), `[${downs.map((x) => (x / 1000).toFixed(2)).join(' ')}]`);
  return { up: median(ups), down: median(downs), nodes };
}

let current: Plan | undefined;
process.once('SIGINT', () => interrupted('SIGINT', 130));
process.once('SIGTERM', () => interrupted('SIGTERM', 143));
try {
  // the default topology itself, renamed so it can run next to a lab the user has up
  const small = await planFor(LABS.benchten.name, 4, 1, LABS.benchten.mgmtSubnet);
  current = small;
  if (!args.includes('--skip-uncached')) {
    const cacheDir = join(work, 'image-cache');
    const ms = await timed(() => labUp(small, { ...quiet, imageCacheDir: cacheDir }));
    line('default (10 nodes): first lab up, empty image cache', ms);
    await labDown(small);
  }
  const ten = await upDown(small, 'default', runs);
  if (!args.includes('--skip-big')) {
    const big = await planFor(LABS.benchbig.name, 8, 3, LABS.benchbig.mgmtSubnet);
    current = big;
    const b = await upDown(big, 'big', Math.max(1, runs - 1));
    const perNode = (x: number, y: number): string => ((y - x) / (b.nodes - ten.nodes) / 1000).toFixed(3);
    console.log(`cost per added node: lab up ${perNode(ten.up, b.up)} s, lab down ${perNode(ten.down, b.down)} s` +
      ` (vs ${(ten.up / ten.nodes / 1000).toFixed(3)} s per node at 10 nodes)`);
  }
} finally {
  if (current) await labDown(current).catch((e) => console.error(`cleanup: ${e instanceof Error ? e.message : String(e)}`));
  rmSync(work, { recursive: true, force: true });
}
