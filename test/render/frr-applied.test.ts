/**
 * The rendered leaf config does what it says once FRR 8.4 runs it: forwarding on, the
 * loopback and the server port's table-10 host routes in BGP, nothing else. FRR, zebra's
 * kernel and ifupdown2 are real; they run in throwaway network, mount and UTS namespaces
 * with private /etc/frr, /etc/network and /run, and are stopped on the way out.
 * @needs-root runs FRR in throwaway network, mount and UTS namespaces
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderAll, writeRendered } from '../../src/render/index.js';
import { defaultPlan, REPO_ROOT } from './plans.js';

const LEAF_NODE_SCRIPT = join(REPO_ROOT, 'test', 'render', 'leaf-node.sh');

describe('leaf01 config applied to a real FRR 8.4', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-frr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('loopback and server-port host routes are in BGP; other table-10 routes are not', () => {
    writeRendered(dir, renderAll(defaultPlan()));
    const r = spawnSync(
      'unshare',
      ['--net', '--mount', '--uts', '--propagation', 'private', 'bash', LEAF_NODE_SCRIPT, join(dir, 'leaf01')],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('proxy_arp=1 proxy_delay=0');
    expect(r.stdout).toContain('ip_forward=1');
    const bgp = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    expect(Object.keys(bgp.routes).sort()).toEqual(['10.0.0.11/32', '172.16.1.11/32', '172.16.1.12/32']);
  });
});
