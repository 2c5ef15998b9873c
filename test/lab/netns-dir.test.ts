/**
 * On a fresh machine /run/netns is a plain directory. If something runs `ip netns add` while
 * a lab is up, iproute2 bind-mounts /run/netns onto itself and the lab's namespace files end
 * up under that mount: lab down then failed with EBUSY and left the namespaces behind. The
 * lab makes /run/netns a mount point first, as iproute2 would. The fresh machine is played on
 * this one: /run/netns, when it is an empty mount point (no namespace in it), is unmounted
 * first, and the lab makes it a mount point again. (Not in a private mount namespace: there
 * the kernel refuses concurrent `unshare --mount=FILE` binds now and then, EINVAL.)
 * @needs-root builds a lab and unmounts an empty /run/netns (mounts, ip netns); run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlanSync } from '../../src/providers.js';
import { mounts } from '../../src/lab/host.js';
import { guardLab } from '../helpers/lab.js';
import { cldemo, labFootprint } from './helpers.js';

const FILE = 'test/fixtures/topologies/netns-dir.yaml';

process.env.CLDEMO_STATE_DIR = mkdtempSync(join(tmpdir(), 'cldemo-netns-dir-'));
const plan = loadPlanSync(FILE);
guardLab(plan.name);

afterAll(() => {
  cldemo(['lab', 'down', '-t', FILE]);
  rmSync(process.env.CLDEMO_STATE_DIR!, { recursive: true, force: true });
});

const isMountPoint = () => mounts().some((m) => m.target === '/run/netns');
const sh = (argv: string[]) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });

test('lab down leaves nothing even after `ip netns add` ran while the lab was up', () => {
  const before = labFootprint(plan);
  if (isMountPoint()) {
    const inside = mounts().filter((m) => m.target.startsWith('/run/netns/')).map((m) => m.target);
    expect(inside).toEqual([]); // else this machine cannot play a fresh one: namespaces are mounted there
    expect(sh(['umount', '/run/netns']).status).toBe(0);
  }
  expect(isMountPoint()).toBe(false); // fresh: a plain directory

  const up = cldemo(['lab', 'up', '-t', FILE]);
  expect(up.stderr + up.stdout).not.toMatch(/error/i);
  expect(up.code).toBe(0);
  expect(isMountPoint()).toBe(true);

  const probe = `cldemo-probe-${process.pid}`;
  expect(sh(['ip', 'netns', 'add', probe]).status).toBe(0);
  expect(sh(['ip', 'netns', 'del', probe]).status).toBe(0);

  const down = cldemo(['lab', 'down', '-t', FILE]);
  expect(down.stderr + down.stdout).not.toMatch(/error/i); // was: EBUSY unlink /run/netns/...
  expect(down.code).toBe(0);
  expect(labFootprint(plan)).toEqual(before);
}, 300_000);
