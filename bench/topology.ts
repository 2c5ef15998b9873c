#!/usr/bin/env node
/**
 * Judging big topologies (issue 10): `cldemo validate` and `cldemo plan` on generated
 * fabrics of growing size, servers and containers growing together (50 containers per
 * server, 16 servers per leaf, 2 spines), so a cost that grows as servers x containers shows
 * as x4 per doubling instead of x2. Each run is the CLI as a user runs it; its peak RSS comes
 * from inside the process (lib/rss-at-exit.js), its wall time from here.
 *
 *   node dist/bench/topology.js [--quick] [--json FILE]
 *
 * The full run adds 180,000 fabric links (300 spines x 600 leaves), printed without a target.
 * Targets: at 100,000 containers (102,400: 128 leaves) validate and plan each <= 10 s and
 * <= 1 GB RSS; memory above an empty run grows linearly with containers (ratio of the
 * largest to the smallest size close to the ratio of their containers, not its square).
 * Needs `npm run build`; no root, no lab.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo, ROOT } from './lib/measure.js';

const CLI = join(ROOT, 'bin', 'cldemo.js');
const PRELOAD = join(ROOT, 'dist', 'bench', 'lib', 'rss-at-exit.js');
const TARGET = { seconds: 10, rssMb: 1024, containers: 100_000 };

interface Sample {
  command: string;
  leaves: number;
  servers: number;
  containers: number;
  fileMb: number;
  wallS: number;
  cpuS: number;
  rssMb: number;
  code: number | null;
}

function cldemo(args: string[], stdout: 'ignore' | 'pipe' = 'ignore'): { code: number | null; wallS: number; rssMb: number; cpuS: number; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-rss-'));
  const rssFile = join(dir, 'rss.json');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', PRELOAD, CLI, ...args], {
    env: { ...process.env, CLDEMO_RSS_FILE: rssFile, NO_COLOR: '1' },
    stdio: ['ignore', stdout, 'pipe'],
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const usage = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRssKb: number; cpuMs: number };
  rmSync(dir, { recursive: true, force: true });
  return { code: r.status, wallS, rssMb: usage.maxRssKb / 1024, cpuS: usage.cpuMs / 1000, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** 300 spines x 600 leaves: 180,000 fabric links and no servers (the audit's 22 s case). */
function linksSamples(dir: string): Sample[] {
  const [spines, leaves] = [300, 600];
  const out = ['name: links', 'subnet: 172.16.0.0/24', 'gateway: 172.16.0.1', 'lab: { mgmt_subnet: 192.168.196.0/22 }', 'switches:'];
  for (let s = 0; s < spines; s++) out.push(`  spine${s}: { role: spine, asn: 65000, loopback: 10.1.${Math.floor(s / 250)}.${(s % 250) + 1} }`);
  for (let l = 0; l < leaves; l++) out.push(`  leaf${l}: { role: leaf, asn: ${4200000001 + l}, loopback: 10.2.${Math.floor(l / 250)}.${(l % 250) + 1} }`);
  out.push('links:');
  for (let s = 0; s < spines; s++) for (let l = 0; l < leaves; l++) out.push(`  - [spine${s}:swp${l + 1}, leaf${l}:swp${s + 1}]`);
  const text = `${out.join('\n')}\n`;
  const file = join(dir, 'links.yaml');
  writeFileSync(file, text);
  return ['validate', 'plan'].map((command) => {
    const r = cldemo([command, '-t', file]);
    process.stderr.write(`[bench topology] ${command} 180000 links: ${r.wallS.toFixed(2)} s, ${r.rssMb.toFixed(0)} MB\n`);
    return { command: `${command} (links)`, leaves, servers: 0, containers: 0, fileMb: text.length / 2 ** 20, wallS: r.wallS, cpuS: r.cpuS, rssMb: r.rssMb, code: r.code };
  });
}

function runTopologyBench(leavesList: number[], withLinks = false): { samples: Sample[]; baselineMb: number } {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-topo-bench-'));
  try {
    const baseline = cldemo(['validate', '-t', join(ROOT, 'topology.yaml')]);
    const samples: Sample[] = [];
    for (const leaves of leavesList) {
      const gen = cldemo(['generate', '--spines', '2', '--leaves', String(leaves), '--servers-per-leaf', '16', '--containers-per-server', '50'], 'pipe');
      if (gen.code !== 0) throw new Error(`generate --leaves ${leaves} failed: ${gen.stderr}`);
      const file = join(dir, `t${leaves}.yaml`);
      writeFileSync(file, gen.stdout);
      for (const command of ['validate', 'plan']) {
        const r = cldemo([command, '-t', file]);
        const servers = leaves * 16;
        samples.push({ command, leaves, servers, containers: servers * 50, fileMb: gen.stdout.length / 2 ** 20, wallS: r.wallS, cpuS: r.cpuS, rssMb: r.rssMb, code: r.code });
        process.stderr.write(`[bench topology] ${command} ${servers * 50} containers: ${r.wallS.toFixed(2)} s, ${r.rssMb.toFixed(0)} MB\n`);
      }
    }
    if (withLinks) samples.push(...linksSamples(dir));
    return { samples, baselineMb: baseline.rssMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(samples: Sample[], baselineMb: number): boolean {
  const rows = samples.map((s) => [s.command, s.containers ? String(s.containers) : '180000 links', String(s.servers), s.fileMb.toFixed(1), s.wallS.toFixed(2), s.cpuS.toFixed(2), s.rssMb.toFixed(0), s.containers ? ((s.rssMb - baselineMb) / (s.containers / 1000)).toFixed(2) : '-', String(s.code)]);
  const head = ['command', 'containers', 'servers', 'file MB', 'wall s', 'cpu s', 'rss MB', 'MB/1k above base', 'exit'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(`baseline (validate of the default topology): ${baselineMb.toFixed(0)} MB RSS`);
  console.log([line(head), ...rows.map(line)].join('\n'));
  let met = true;
  for (const command of ['validate', 'plan']) {
    const mine = samples.filter((s) => s.command === command && s.containers > 0);
    const [small, big] = [mine[0], mine[mine.length - 1]];
    const growth = (big.rssMb - baselineMb) / Math.max(1, small.rssMb - baselineMb);
    const scale = big.containers / small.containers;
    const linear = growth <= scale * 1.5;
    const fast = big.containers < TARGET.containers || (big.wallS <= TARGET.seconds && big.rssMb <= TARGET.rssMb && big.code === 0);
    met &&= linear && fast;
    console.log(
      `${command}: ${big.containers} containers in ${big.wallS.toFixed(2)} s, ${big.rssMb.toFixed(0)} MB (target <= ${TARGET.seconds} s, <= ${TARGET.rssMb} MB: ${fast ? 'met' : 'NOT met'}); ` +
        `memory above baseline x${growth.toFixed(1)} for x${scale} containers (linear would be ~x${scale}, servers x containers x${scale * scale}: ${linear ? 'linear' : 'NOT linear'})`,
    );
  }
  return met;
}

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'string' } } });
const leavesList = values.quick ? [16, 32, 64] : [16, 32, 64, 128];
const { samples, baselineMb } = runTopologyBench(leavesList, !values.quick);
const met = report(samples, baselineMb);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ ...machineInfo(), baselineMb, samples, target: TARGET, met }, null, 2)}\n`);
process.exitCode = met ? 0 : 1;
