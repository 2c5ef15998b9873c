#!/usr/bin/env node
/**
 * Mass withdrawal: every container of a 256-container fabric (2 spines, 8 leaves, 8 servers x
 * 32) stopped at once, one `docker stop` per server, and each container's /32 (dual stack: and
 * /128) measured from that container's own `die` event to the moment it is gone from the last
 * switch. Not from the `docker stop` command: with 32 containers per server, Docker takes
 * seconds to stop the last of them, and that time is Docker's, not the fabric's. Target: p95
 * <= holdtime + 2 s.
 *
 * The `die` time is Docker's own (the event's timeNano, from each server's event stream over
 * the project's SSH transport); a route's is the switch's (`ip -ts monitor`, lib/route-watch.ts);
 * the lab nodes share the host's clock. Each round ends with every container started again and
 * its /32 back everywhere; the samples of every round are pooled. Where the time went comes
 * from the agents' `timeline` lines (last ARP reply, withdrawal) and the leaves' tables.
 *
 * The scenario builds its own lab (lab up, up, verify-routes), measures, and takes it down.
 *
 *   node dist/bench/mass-withdrawal.js [--smoke] [--rounds N] [--name NAME --mgmt-subnet CIDR] [--json FILE]
 *
 * --smoke: 1 spine, 2 leaves, 2 servers x 2 containers, one round. --name / --mgmt-subnet: a lab
 * of the caller's own (default: bmass or bsmk9 of lib/labs.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadPlan } from 'cldemo/bench';
import { runConvergence, type ConvergenceResult } from './convergence.js';
import { generateTopology, type TopologyShape } from './lifecycle.js';
import { LABS } from './lib/labs.js';
import { cldemoOrThrow, type Figure } from './lib/measure.js';

export interface MassWithdrawalConfig extends TopologyShape {
  rounds: number;
}

export const MASS_FULL: MassWithdrawalConfig = { ...LABS.bmass, spines: 2, leaves: 8, serversPerLeaf: 1, containersPerServer: 32, rounds: 3 };
export const MASS_SMOKE: MassWithdrawalConfig = { ...LABS.bsmk9, spines: 1, leaves: 2, serversPerLeaf: 1, containersPerServer: 2, rounds: 1 };

/** The figures kept: the withdrawal from each container's own exit, and where its time went. */
const KEPT = /\.(?:v6\.)?withdraw_(?:from_exit|from_stop|kill_to_die|die_to_last_reply|reply_to_withdrawn|withdrawn_to_leaf|leaf_to_all|by_failed)$|\.withdraw_load$|\.agent_cpu$/;

export interface MassWithdrawalResult {
  containers: number;
  holdtime_s: number;
  target_ms: number;
  convergence?: ConvergenceResult;
  figures: Figure[];
  error?: string;
}

export async function runMassWithdrawal(cfg: MassWithdrawalConfig, { label = '9 mass withdrawal', log = (m: string): void => void process.stderr.write(`${m}\n`) } = {}): Promise<MassWithdrawalResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-mass-'));
  const containers = cfg.leaves * cfg.serversPerLeaf * cfg.containersPerServer;
  try {
    const topology = await generateTopology(dir, cfg);
    const opts = { topology, json: false, timeoutMs: 900_000 };
    log(`${label}: lab up ${cfg.name} (${cfg.spines} spines, ${cfg.leaves} leaves, ${containers} containers)`);
    await cldemoOrThrow(['lab', 'down'], opts);
    await cldemoOrThrow(['lab', 'up'], opts);
    try {
      await cldemoOrThrow(['up'], opts);
      await cldemoOrThrow(['verify-routes', '--wait', '120'], opts);
      log(`${label}: ${cfg.rounds} round(s) of all ${containers} containers stopped at once`);
      const holdtimeS = (await loadPlan(topology)).redistributeNeighbor.holdtime;
      const targetMs = holdtimeS * 1000 + 2000;
      const r = await runConvergence({ topology, rounds: cfg.rounds, idPrefix: 'mass', label, targets: { withdrawFromExit: targetMs } });
      return { containers, holdtime_s: holdtimeS, target_ms: targetMs, convergence: r, figures: r.figures.filter((f) => KEPT.test(f.id)), ...(r.error ? { error: r.error } : {}) };
    } finally {
      log(`${label}: lab down ${cfg.name}`);
      await cldemoOrThrow(['down'], opts).catch(() => undefined);
      await cldemoOrThrow(['lab', 'down'], opts);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `figure` as the table prints it: median / p95, the target and whether it is met. */
function line(f: Figure): string {
  const s = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : f.unit === 'ms' ? `${(x / 1000).toFixed(2)} s` : `${x} ${f.unit}`);
  const target = f.target === undefined ? '' : `  target p95 <= ${s(f.target)}: ${f.met ? 'met' : 'NOT met'}`;
  return `${f.name.padEnd(88)} n=${String(f.n).padStart(4)}  median ${s(f.value).padStart(9)}  p95 ${s(f.p95).padStart(9)}${target}`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, rounds: { type: 'string' }, name: { type: 'string' }, 'mgmt-subnet': { type: 'string' }, json: { type: 'string' } } });
  const base = values.smoke ? MASS_SMOKE : MASS_FULL;
  if ((values.name === undefined) !== (values['mgmt-subnet'] === undefined)) throw new Error('--name and --mgmt-subnet go together: a lab of your own needs both');
  const cfg: MassWithdrawalConfig = {
    ...base,
    ...(values.name ? { name: values.name, mgmtSubnet: values['mgmt-subnet']! } : {}),
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
  };
  const r = await runMassWithdrawal(cfg);
  for (const f of r.figures) console.log(line(f));
  console.log(`${r.containers} containers, holdtime ${r.holdtime_s} s, ${cfg.rounds} round(s); target: p95 of die -> /32 gone everywhere <= holdtime + 2 s = ${r.target_ms / 1000} s`);
  if (r.error) console.error(`mass withdrawal: ${r.error}`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(r, null, 2)}\n`);
  process.exitCode = r.error || r.figures.some((f) => f.error) ? 1 : 0;
}
