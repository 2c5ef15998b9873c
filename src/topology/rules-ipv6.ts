/**
 * Dual stack's rules: IPv6 judged as strictly as IPv4. The prefix Docker and the kernel can
 * serve; every address (given in any spelling, or derived) inside it, unicast, not an anycast
 * address, unique across the fabric; loopbacks for every switch; leaves whose platform can
 * learn IPv6 neighbors. Each problem names where it is written (or what it is derived from).
 * Function declarations: rules.ts lists them, and this module uses rules.ts's helpers.
 */
import { quote } from '../errors.js';
import { platformsWithoutIpv6Leaves } from '../platforms/index.js';
import { formatCidr6, formatIpv6, groupsFor, inCidr6, ipv6Problem, overlaps6 } from './ip.js';
import { parseCidr, parseCidr6, parseIpv4, parseIpv6, specialPrefix6, specialRange6, type Cidr6 } from './ip.js';
import { addressing6, type Address6, type Addressing6 } from './ipv6.js';
import type { Path } from './load.js';
import { nodeLabel, type RuleContext } from './rules.js';
import type { RawTopology } from './schema.js';

const PREFIX_HINT = "use a global prefix of your own or a unique local one (fd00::/8); 2001:db8::/32, the documentation prefix, is fine for a lab";
/** Docker 20.10's IPAM tracks an IPv6 pool's addresses in 64 bits (measured: see prefixRule). */
const SHORTEST = 64;
/** a /126 holds the gateway and two hosts; a /127 leaves Docker no address to hand out */
const LONGEST = 126;

/** Everything IPv6: the prefixes, then every address, then what the leaves' platforms can do. */
export function ipv6Rule(t: RawTopology, ctx: RuleContext): void {
  const a = addressing6(t);
  if (!a) return strayIpv6Keys(t, ctx);
  prefixRule(t, ctx, a);
  loopbacksPrefixRule(t, ctx, a);
  if (a.prefix) hostAddresses(t, ctx, a, a.prefix);
  leafPlatforms(t, ctx);
}

/** `ip6`, `address6` or `loopback6` in a topology without `ipv6:`: one line, at the first. */
function strayIpv6Keys(t: RawTopology, ctx: RuleContext): void {
  const paths: Path[] = [];
  for (const [n, s] of Object.entries(t.switches)) if (s.loopback6 !== undefined) paths.push(['switches', n, 'loopback6']);
  for (const [n, s] of Object.entries(t.servers)) {
    if (s.uplink.address6 !== undefined) paths.push(['servers', n, 'uplink', 'address6']);
    s.containers.forEach((c, i) => typeof c !== 'string' && c.ip6 !== undefined && paths.push(['servers', n, 'containers', i, 'ip6']));
  }
  if (paths.length === 0) return;
  const more = paths.length > 1 ? ` (and ${paths.length - 1} more IPv6 address${paths.length > 2 ? 'es' : ''})` : '';
  ctx.report(
    paths[0],
    `${String(paths[0][paths[0].length - 1])} is an IPv6 address, but the topology has no ipv6: section${more}`,
    'add ipv6: { prefix: ..., loopbacks: ... } for dual stack, or remove the IPv6 addresses',
  );
}

/** A prefix as written: in CIDR form, host bits zero, long enough (`tooShort` says why not), not special. */
function readPrefix(ctx: RuleContext, text: string, path: Path, what: string, tooShort: (c: Cidr6) => [string, string] | null): Cidr6 | null {
  const [addr, len, ...rest] = text.split('/');
  if (len === undefined || rest.length > 0 || !/^(0|[1-9]\d{0,2})$/.test(len) || Number(len) > 128) {
    ctx.report(path, `${what} ${quote(text)} is not an IPv6 prefix in CIDR form`, 'e.g. 2001:db8:1::/64: an address, / and a length 0-128');
    return null;
  }
  const problem = ipv6Problem(addr);
  if (problem) {
    ctx.report(path, `${what} ${quote(text)} is not an IPv6 prefix: ${problem}`, 'e.g. 2001:db8:1::/64');
    return null;
  }
  const c = parseCidr6(text, false)!;
  if (c.network !== parseIpv6(addr)) {
    ctx.report(path, `${what} ${quote(text)} has host bits set`, `the network is ${formatCidr6(c)}`);
    return null;
  }
  const short = tooShort(c);
  const special = short ? null : specialPrefix6(c);
  if (short || special) ctx.report(path, short ? `${what} ${formatCidr6(c)} ${short[0]}` : `${what} ${formatCidr6(c)} is ${special}`, short ? short[1] : PREFIX_HINT);
  return short || special ? null : c;
}

/** `ipv6.prefix`: what Docker's IPAM can serve, and room for the addresses the rule derives. */
function prefixRule(t: RawTopology, ctx: RuleContext, a: Addressing6): void {
  const path: Path = ['ipv6', 'prefix'];
  a.prefix = readPrefix(ctx, t.ipv6!.prefix, path, 'ipv6 prefix', dockerTooShort);
  const c = a.prefix;
  if (!c) return;
  if (c.prefix > LONGEST) {
    ctx.report(path, `ipv6 prefix ${formatCidr6(c)} leaves no address for containers`, `Docker needs /${LONGEST} or shorter (the gateway and at least one host)`);
    a.prefix = null;
  } else underivable(t, ctx, a, c, path);
}

/** Docker 20.10's IPAM tracks an IPv6 pool in 64 bits: in a shorter prefix, addresses lose their upper host bits. */
function dockerTooShort(c: Cidr6): [string, string] | null {
  if (c.prefix >= SHORTEST) return null;
  // measured on Docker 20.10.24: 2001:db8:1:2::11 in 2001:db8:1::/48 became 2001:db8:1::11, silently
  const example = c.network | (1n << 64n) | 0x11n;
  const why = `Docker's IPAM keeps only an address's low 64 bits (${formatIpv6(example)} would become ${formatIpv6(c.network | 0x11n)})`;
  return [`is shorter than /${SHORTEST}: ${why}`, `use a /64 (or longer, up to /${LONGEST})`];
}

/** Addresses left to the rule that the prefix has no room for: one line for all of them. */
function underivable(t: RawTopology, ctx: RuleContext, a: Addressing6, c: Cidr6, path: Path): void {
  const all = [a.gateway, ...a.servers.values(), ...[...a.containers.values()].flat()];
  const v4 = parseCidr(t.subnet);
  const stuck = all.filter((x) => x.given === undefined && x.ip === null && x.from !== undefined && parseIpv4(x.from) !== null);
  if (stuck.length === 0 || !v4) return;
  const bits = 16 * groupsFor(v4.prefix);
  const rule = `the rule writes the IPv4 octets that ${t.subnet} leaves free as ${bits / 16} group${bits > 16 ? 's' : ''}, ${bits} bits`;
  const addresses = `${stuck.length} address${stuck.length === 1 ? '' : 'es'} not given`;
  ctx.report(
    path,
    `ipv6 prefix ${formatCidr6(c)} leaves ${128 - c.prefix} bits for hosts: too few to derive ${addresses} (${rule})`,
    `use a /${128 - bits} or shorter, or give each one (ip6, address6, ipv6.gateway)`,
  );
}

/** `ipv6.loopbacks`: a prefix apart from the containers', short enough to derive loopbacks; and every switch has one. */
function loopbacksPrefixRule(t: RawTopology, ctx: RuleContext, a: Addressing6): void {
  const text = t.ipv6!.loopbacks;
  if (text === undefined) return missingLoopbacks(t, ctx);
  const path: Path = ['ipv6', 'loopbacks'];
  const tooShort = (p: Cidr6): [string, string] | null =>
    p.prefix < 16 ? ['is shorter than /16: it would hold special ranges', 'a /64 holds every loopback the rule derives'] : null;
  const c = readPrefix(ctx, text, path, 'ipv6 loopbacks', tooShort);
  if (!c) return;
  if (a.prefix && overlaps6(c, a.prefix)) ctx.report(
    path,
    `ipv6 loopbacks ${formatCidr6(c)} overlaps ipv6 prefix ${formatCidr6(a.prefix)}`,
    "loopbacks are routed on their own; they must not share the containers' link prefix",
  );
  const derives = Object.values(t.switches).some((s) => s.loopback6 === undefined);
  if (derives && c.prefix > 64) ctx.report(
    path,
    `ipv6 loopbacks ${formatCidr6(c)} is longer than /64: a derived loopback writes the IPv4 loopback's four octets as four groups (64 bits)`,
    'use a /64 or shorter, or give every switch its loopback6',
  );
}

function missingLoopbacks(t: RawTopology, ctx: RuleContext): void {
  const without = Object.keys(t.switches).filter((n) => t.switches[n].loopback6 === undefined);
  if (without.length === 0) return;
  const names = without.length > 3 ? `${without.slice(0, 3).map(nodeLabel).join(', ')} and ${without.length - 3} more` : without.map(nodeLabel).join(', ');
  ctx.report(
    ['ipv6'],
    `ipv6: ${names} ${without.length === 1 ? 'has' : 'have'} no IPv6 loopback`,
    'add loopbacks: PREFIX (e.g. 2001:db8:ffff::/64) to derive them from the IPv4 loopbacks, or give each switch loopback6',
    true,
  );
}

/** Who holds each IPv6 address so far, by its number: every spelling of one address is one. */
type Owners = Map<bigint, string>;

/** The gateway, servers, containers (in the prefix) and loopbacks (outside it): each valid and unique. */
function hostAddresses(t: RawTopology, ctx: RuleContext, a: Addressing6, prefix: Cidr6): void {
  const owners: Owners = new Map();
  const gateway = claimHost(ctx, prefix, owners, a.gateway, 'ipv6 gateway', 'the IPv6 gateway', null) ?? null;
  for (const [n, addr] of a.servers) claimHost(ctx, prefix, owners, addr, `server ${nodeLabel(n)} IPv6 address`, `server ${nodeLabel(n)}`, gateway);
  for (const [n, list] of a.containers) {
    list.forEach((addr, i) => claimHost(ctx, prefix, owners, addr, `${nodeLabel(n)}: container IPv6`, `${nodeLabel(n)}'s container ${containerV4(t, n, i)}`, gateway));
  }
  for (const [n, addr] of a.switches) claimLoopback(ctx, prefix, owners, addr, n);
}

/** A container's IPv4 address as written, to name it (quoted when it is not a plain one). */
function containerV4(t: RawTopology, server: string, i: number): string {
  const c = t.servers[server].containers[i];
  const ip = typeof c === 'string' ? c : c.ip;
  return /^[0-9.]{7,15}$/.test(ip) ? ip : quote(ip);
}

/** How an address reads in a message: canonical, with what was written or what it comes from. */
function spelled(addr: Address6, ip: bigint): string {
  const canonical = formatIpv6(ip);
  if (addr.from !== undefined) return `${canonical} (derived from ${addr.from})`;
  return addr.given === canonical ? canonical : `${quote(addr.given!)} (${canonical})`;
}

/** A host address in the prefix; returns it when it holds. */
function claimHost(ctx: RuleContext, prefix: Cidr6, owners: Owners, addr: Address6, what: string, by: string, gateway: bigint | null): bigint | undefined {
  if (addr.ip === null) {
    if (addr.given !== undefined) ctx.report(addr.path, `${what} ${quote(addr.given)} is not an IPv6 address: ${ipv6Problem(addr.given) ?? 'unreadable'}`, 'e.g. 2001:db8:1::11');
    return undefined; // not derivable: reported once, at the prefix (or the IPv4 address is wrong)
  }
  const ip = addr.ip;
  const why = hostProblem(prefix, ip);
  const shown = spelled(addr, ip);
  if (why) return void ctx.report(addr.path, `${what} ${shown} ${why.message}`, why.hint);
  if (ip === gateway) return void ctx.report(addr.path, `${what} ${shown} is the IPv6 gateway address`, 'the gateway lives on the leaves');
  return claim(ctx, owners, addr, `${what} ${shown}`, by);
}

/** The one owner of an address: a second claim is reported, naming the first. */
function claim(ctx: RuleContext, owners: Owners, addr: Address6, said: string, by: string): bigint | undefined {
  const prev = owners.get(addr.ip!);
  if (prev) return void ctx.report(addr.path, `${said} is already used by ${prev}`, 'addresses must be unique across the whole fabric');
  owners.set(addr.ip!, by);
  return addr.ip!;
}

/** RFC 2526: in a /64, interface identifiers fdff:ffff:ffff:ff80 to fdff:ffff:ffff:ffff are reserved subnet anycast addresses. */
const RFC2526_FIRST = 0xfdffffffffffff80n;
const IID_MASK = (1n << 64n) - 1n;

/** Why a host address cannot be in the prefix, or null. */
function hostProblem(prefix: Cidr6, ip: bigint): { message: string; hint?: string } | null {
  const p = formatCidr6(prefix);
  if (!inCidr6(ip, prefix)) return { message: `is ${specialRange6(ip) ?? `outside ipv6 prefix ${p}`}` };
  if (ip === prefix.network) return { message: `is the subnet-router anycast address of ${p}`, hint: "a prefix's first address belongs to every router on the link (RFC 4291)" };
  if (prefix.prefix !== 64) return null;
  if (ip === prefix.last) return { message: `is the last address of ${p}, which Docker's IPAM cannot hand out ("bit does not belong to the sequence")` };
  const rfc2526 = 'RFC 2526 reserves interface identifiers fdff:ffff:ffff:ff80 to fdff:ffff:ffff:ffff';
  if ((ip & IID_MASK) >= RFC2526_FIRST) return { message: `is a reserved subnet anycast address of ${p}`, hint: rfc2526 };
  return null;
}

/** A switch's IPv6 loopback: unicast, outside the containers' prefix, unique. */
function claimLoopback(ctx: RuleContext, prefix: Cidr6, owners: Owners, addr: Address6, n: string): void {
  const what = `${nodeLabel(n)}: loopback6`;
  if (addr.ip === null) {
    if (addr.given !== undefined) ctx.report(
      addr.path,
      `${what} ${quote(addr.given)} is not an IPv6 address: ${ipv6Problem(addr.given) ?? 'unreadable'}`,
      'give the bare address, e.g. 2001:db8:ffff::11',
    );
    return;
  }
  const shown = spelled(addr, addr.ip);
  const special = specialRange6(addr.ip);
  if (special) return ctx.report(addr.path, `${what} ${shown} is ${special}`, 'a loopback is a global or unique-local unicast address, e.g. 2001:db8:ffff::11');
  if (inCidr6(addr.ip, prefix)) return ctx.report(
    addr.path,
    `${what} ${shown} is inside ipv6 prefix ${formatCidr6(prefix)}`,
    "loopbacks are routed on their own, apart from the containers' prefix",
  );
  claim(ctx, owners, addr, `${what} ${shown}`, nodeLabel(n));
}

/** Leaves on a platform that cannot learn IPv6 neighbors: one line per platform. */
function leafPlatforms(t: RawTopology, ctx: RuleContext): void {
  const limited = platformsWithoutIpv6Leaves();
  const byPlatform = new Map<string, string[]>();
  for (const [n, s] of Object.entries(t.switches)) {
    const platform = s.platform ?? t.defaults.platform;
    if (s.role === 'leaf' && limited.has(platform)) byPlatform.set(platform, [...(byPlatform.get(platform) ?? []), n]);
  }
  for (const [platform, leaves] of byPlatform) {
    const names = leaves.length > 4 ? `${leaves.slice(0, 4).map(nodeLabel).join(', ')} and ${leaves.length - 4} more` : leaves.map(nodeLabel).join(', ');
    ctx.report(
      ['ipv6', 'prefix'],
      `ipv6 on platform ${platform} leaves (${names}): ${limited.get(platform)!}`,
      `remove ipv6:, or run these leaves on a platform that learns IPv6 neighbors`,
    );
  }
}
