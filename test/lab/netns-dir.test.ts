/**
 * On a fresh machine /run/netns is a plain directory. If something runs `ip netns add` while
 * a lab is up, iproute2 bind-mounts /run/netns onto itself and the lab's namespace files end
 * up under that mount: lab down then failed with EBUSY and left the namespaces behind. The
 * lab makes /run/netns a mount point first, as iproute2 would. The fresh machine is played on
 * this one: /run/netns, when it is an empty mount point (no namespace in it), is unmounted
 * first, and the lab makes it a mount point again. (In a private mount namespace the kernel
 * refuses concurrent `unshare --mount=FILE` binds now and then, EINVAL: so the real one.)
 * @needs-root builds a lab and unmounts an empty /run/netns (mounts, ip netns); run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardLab } from '../helpers/lab.js';

const FILE = 'test/fixtures/topologies/netns-dir.yaml';
const NAME = 'netnsdir';

process.env.CLDEMO_STATE_DIR = mkdtempSync(join(tmpdir(), 'cldemo-netns-dir-'));
guardLab(NAME);

afterAll(() => rmSync(process.env.CLDEMO_STATE_DIR!, { recursive: true, force: true }));

// every step prints one line; the first that fails says which and exits
const SCRIPT = `
set -u
step() { echo "$1"; }
fail() { echo "FAILED: $1"; exit 1; }
cldemo() { "$NODE" bin/cldemo.js "$@"; }
# whatever happens, the lab goes down
trap 'cldemo lab down -t "$FILE" >/dev/null 2>&1' EXIT
if mountpoint -q /run/netns; then
  inside=$(awk '$2 ~ "^/run/netns/" { print $2 }' /proc/self/mounts | tr '\\n' ' ')
  [ -z "$inside" ] || fail "cannot play a fresh machine: namespaces are mounted in /run/netns: $inside"
  umount /run/netns || fail "umount /run/netns"
fi
mountpoint -q /run/netns && fail "/run/netns is still a mount point"
step "fresh: /run/netns is a plain directory"
cldemo lab up -t "$FILE" >"$LOG" 2>&1 || { cat "$LOG"; fail "lab up"; }
mountpoint -q /run/netns || fail "lab up left /run/netns a plain directory"
step "lab up: /run/netns is a mount point"
ip netns add "cldemo-probe-$$" || fail "ip netns add"
ip netns del "cldemo-probe-$$" || fail "ip netns del"
step "ip netns add and del ran while the lab was up"
cldemo lab down -t "$FILE" 2>&1 || fail "lab down"
left=$(ls /run/netns | grep "^cldemo-$NAME-" || true)
[ -z "$left" ] || fail "namespace files left: $left"
mounts=$(grep -c -e "/run/netns/cldemo-$NAME-" -e "$CLDEMO_STATE_DIR" /proc/self/mounts || true)
[ "$mounts" = 0 ] || fail "$mounts mounts left"
step "lab down: no namespace file, no mount left"
`;

test('lab down leaves nothing even after `ip netns add` ran while the lab was up', () => {
  const r = spawnSync('bash', ['-c', SCRIPT], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, NODE: process.execPath, FILE, NAME, LOG: join(process.env.CLDEMO_STATE_DIR!, 'lab-up.log'), FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  const out = `${r.stdout}${r.stderr}`;
  expect(out).not.toMatch(/FAILED/);
  expect(out).toMatch(/lab down: no namespace file, no mount left/);
  expect(r.status).toBe(0);
}, 300_000);
