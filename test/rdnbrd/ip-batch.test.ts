/**
 * iproute2's `neigh` commands exit(2) on a netlink error even under -force, losing every
 * command queued behind them. Route changes must survive that (their own ip process), and
 * the owner must hear of the restart so it can reconcile. Real ip, in a throwaway netns.
 * @needs-root changes routes and neighbors in a throwaway network namespace
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'ipbatch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a failed neigh command restarts only the neighbor batch; route changes all land', () => {
  const script = join(dir, 'probe.mjs');
  writeFileSync(
    script,
    `import { execSync } from 'node:child_process';
import { IpBatch } from ${JSON.stringify(resolve('dist/rdnbrd/iproute.js'))};
execSync('ip link set lo up');
let restarts = 0;
const failures = [];
const routes = new IpBatch((c) => failures.push(c), () => restarts++);
const neighbors = new IpBatch((c) => failures.push(c), () => restarts++);
// no such entry: ip exits 2 here
neighbors.run('neigh change 10.99.99.99 dev lo lladdr 00:11:22:33:44:55 nud probe');
routes.run('route add 10.98.0.1/32 dev lo table 77');
routes.run('route add 10.98.0.2/32 dev lo table 77');
await new Promise((r) => setTimeout(r, 800));
neighbors.run('neigh replace 10.98.1.1 dev lo lladdr 00:11:22:33:44:66 nud permanent');
routes.run('route add 10.98.0.3/32 dev lo table 77');
await Promise.all([routes.close(), neighbors.close()]);
console.log(JSON.stringify({ restarts, failures, routes: execSync('ip route show table 77').toString(), neigh: execSync('ip neigh show dev lo').toString() }));
`,
  );
  const r = spawnSync('unshare', ['--net', process.execPath, script], { encoding: 'utf8', timeout: 20_000 });
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.routes.trim().split('\n').map((l: string) => l.split(' ')[0])).toEqual(['10.98.0.1', '10.98.0.2', '10.98.0.3']);
  expect(out.restarts).toBe(1);
  expect(out.failures.join('\n')).toMatch(/ip -batch/);
  expect(out.neigh).toContain('00:11:22:33:44:66'); // the restarted neighbor batch works
});
