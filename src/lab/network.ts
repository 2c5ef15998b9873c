/**
 * The lab's wiring on the host: a management bridge, one veth per node to it (eth0 inside),
 * and one veth pair per topology link, created straight into the two nodes' namespaces with
 * the topology's port names (no temporary names on the host that a crash could strand).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { OperationError } from '../errors.js';
import type { Link } from '../topology/types.js';
import { run } from './run.js';

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

function sysctl(path: string, value: string): void {
  writeFileSync(`/proc/sys/${path}`, value);
}

/**
 * The bridge is the host's only foot in the lab. It never forwards what it receives to other
 * networks, and carries no IPv6, so nothing from the lab can leave the machine even when
 * the host itself routes.
 */
export async function createBridge(name: string, address: string, prefix: number): Promise<void> {
  await run('ip', ['link', 'add', name, 'type', 'bridge']);
  sysctl(`net/ipv6/conf/${name}/disable_ipv6`, '1');
  sysctl(`net/ipv4/conf/${name}/forwarding`, '0');
  await run('ip', ['addr', 'add', `${address}/${prefix}`, 'dev', name]);
  await run('ip', ['link', 'set', name, 'up']);
}

export interface MgmtVeth {
  hostName: string;
  netns: string;
  nodeName: string; // eth0
}

export interface FabricVeth {
  link: Link;
  netnsA: string;
  netnsB: string;
}

/**
 * The first interface index a cable's ends get: every end in the lab has an index of its own
 * (link i: FIRST + 2i and FIRST + 2i + 1), so no veth has its peer's index. The kernel takes a
 * veth whose index equals its peer's for a plain NIC, and reports a plain NIC's carrier change
 * at most once a second (linkwatch, shared by the whole host): with the indexes each namespace
 * would pick (lo 1, then 2, 3, ...), spine01:swp1 and leaf01:swp51 were both 2, and a spine
 * losing power left leaf01 sending into it for up to a second after every other leaf had moved on.
 */
const FIRST_FABRIC_INDEX = 16;

/** One `ip -batch` for the whole lab: a process per interface would dominate start-up time. */
export async function createVeths(bridge: string, mgmt: MgmtVeth[], fabric: FabricVeth[]): Promise<void> {
  const index = (i: number, end: 0 | 1) => FIRST_FABRIC_INDEX + 2 * i + end;
  const lines = [
    ...fabric.map(({ link, netnsA, netnsB }, i) => {
      const end = (port: string, netns: string, e: 0 | 1) => `name ${port} index ${index(i, e)} mtu ${link.mtu} netns ${netns}`;
      return `link add ${end(link.a.port, netnsA, 0)} type veth peer ${end(link.b.port, netnsB, 1)}`;
    }),
    ...mgmt.map((m) => `link add name ${m.hostName} type veth peer name ${m.nodeName} netns ${m.netns}`),
    ...mgmt.map((m) => `link set ${m.hostName} master ${bridge}`),
  ];
  await run('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n` });
  for (const m of mgmt) sysctl(`net/ipv6/conf/${m.hostName}/disable_ipv6`, '1');
  await run('ip', ['-batch', '-'], { input: `${mgmt.map((m) => `link set ${m.hostName} up`).join('\n')}\n` });
}

/** Deleting one end of a veth deletes both. Missing links are fine: down is idempotent. */
export async function deleteLinks(names: string[]): Promise<void> {
  const present = names.filter(linkExists);
  if (!present.length) return;
  await run('ip', ['-force', '-batch', '-'], { input: `${present.map((n) => `link del ${n}`).join('\n')}\n` }).catch(() => {
    // a veth vanishes with its peer's namespace meanwhile; what is left is checked below
  });
  const left = present.filter(linkExists);
  if (left.length) throw new OperationError(`could not delete ${left.join(', ')}`);
}

/** Host addresses inside a subnet, on devices other than `except`: a second lab on the same subnet would steal routes. */
export async function subnetUsers(contains: (ip: string) => boolean, except: string): Promise<string[]> {
  const { stdout } = await run('ip', ['-j', '-4', 'addr', 'show']);
  const devs = JSON.parse(stdout) as Array<{ ifname: string; addr_info: Array<{ local: string }> }>;
  return devs.filter((d) => d.ifname !== except && d.addr_info.some((a) => contains(a.local))).map((d) => d.ifname);
}
