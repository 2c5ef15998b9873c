/**
 * The agent's broadcast probe (unicast_arp_requests = False) runs arping: with the flag that
 * names the interface in every arping, and a probe that could not ask is reported, not taken
 * for an unanswered one. A stand-in arping; no root, no network.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpKernel, type IpBatch } from '../../src/rdnbrd/iproute.js';

const bin = mkdtempSync(join(tmpdir(), 'rdnbrd-arping-'));
const arping = join(bin, 'arping');
beforeAll(() => {
  writeFileSync(
    join(bin, 'arping'),
    `#!/bin/sh
for last; do :; done
case "$last" in
  10.1.0.5) code=0 ;;
  10.1.0.6) code=1 ;;
  *) echo 'arping: libnet_init(LIBNET_LINK, swp1): libnet_check_iface() ioctl: No such device' >&2; code=1 ;;
esac
echo "$*" >> ${bin}/argv
echo $$ >> ${bin}/pids
exit $code
`,
    { mode: 0o755 },
  );
});
afterAll(() => {
  rmSync(bin, { recursive: true, force: true });
});

const lines = (file: string): string[] => {
  try {
    return readFileSync(join(bin, file), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Probes through a fresh IpKernel (no ip batches are needed for a broadcast probe); waits until every arping has been reaped. */
async function probe(ips: string[]): Promise<{ errors: string[]; argv: string[] }> {
  for (const f of ['argv', 'pids']) rmSync(join(bin, f), { force: true });
  const errors: string[] = [];
  const kernel = new IpKernel({} as IpBatch, {} as IpBatch, (m) => errors.push(m), arping);
  for (const ip of ips) kernel.probe(ip, 'swp1', '02:00:00:00:00:01', false);
  const deadline = Date.now() + 10_000;
  while (lines('pids').length < ips.length || lines('pids').map(Number).some(alive)) {
    if (Date.now() > deadline) throw new Error(`the stand-in arping did not finish: ${lines('argv').join('; ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 100)); // reaped: its close event is next in the loop
  return { errors, argv: lines('argv').sort() };
}

describe('rdnbrd broadcast probe (arping)', () => {
  it('names the interface with -I (Habets\' and iputils\' arping both read it so)', async () => {
    const { argv } = await probe(['10.1.0.5']);
    expect(argv).toEqual(['-q -c 1 -w 1 -I swp1 10.1.0.5']);
  });

  it('an answer and a silence say nothing; an arping that could not ask is reported with its reason', async () => {
    const { errors, argv } = await probe(['10.1.0.5', '10.1.0.6', '10.1.0.7']);
    expect(argv).toHaveLength(3);
    expect(errors).toEqual(['arping on swp1 could not ask for 10.1.0.7 (exit 1): arping: libnet_init(LIBNET_LINK, swp1): libnet_check_iface() ioctl: No such device']);
  });

  it('a missing arping is reported', async () => {
    const errors: string[] = [];
    const kernel = new IpKernel({} as IpBatch, {} as IpBatch, (m) => errors.push(m), join(bin, 'no-arping'));
    kernel.probe('10.1.0.5', 'swp1', '02:00:00:00:00:01', false);
    for (const start = Date.now(); errors.length === 0 && Date.now() - start < 2000; ) await new Promise((r) => setTimeout(r, 20));
    expect(errors).toEqual([expect.stringMatching(/^arping on swp1 could not ask for 10\.1\.0\.5: spawn \S+no-arping ENOENT$/)]);
  });

  it('the same failure every keepalive is said once, not once per probe', async () => {
    const { errors } = await probe(['10.1.0.7', '10.1.0.8', '10.1.0.9']);
    expect(errors).toHaveLength(1);
  });
});
