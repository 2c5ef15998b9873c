/**
 * Addresses of both families as the agent meets them: in rdnbrd.conf (any spelling) and in
 * iproute2's output (IPv6 always RFC 5952 canonical). The agent keys its maps by the
 * canonical text, so a config's `2001:DB8:1::0011` and the kernel's `2001:db8:1::11` meet.
 */

function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** The family is read from the address: a colon is IPv6. */
export function isIpv6Text(s: string): boolean {
  return s.includes(':');
}

/** The host route's length for this address: 32 or 128. */
export function hostLength(ip: string): 32 | 128 {
  return isIpv6Text(ip) ? 128 : 32;
}

/**
 * Eight 16-bit groups, or undefined for anything that is not one IPv6 address: no zone id
 * (`%eth0`), no prefix length, one `::` at most, groups of 1-4 hex digits, a dotted IPv4 tail.
 */
export function parseIpv6(s: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.length > 45) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1], true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array<number>(missing).fill(0), ...tail];
}

/** `dottedTail`: this part ends the address, so its last word may be dotted IPv4. */
function groupsOf(part: string, dottedTail: boolean): number[] | undefined {
  if (part === '') return [];
  const words = part.split(':');
  const groups: number[] = [];
  for (const [i, w] of words.entries()) {
    if (dottedTail && i === words.length - 1 && w.includes('.')) {
      if (!isIpv4(w)) return undefined;
      const [a, b, c, d] = w.split('.').map(Number);
      groups.push((a << 8) | b, (c << 8) | d);
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(w)) {
      groups.push(parseInt(w, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** RFC 5952: lower case, no leading zeros, the longest run (two groups or more) of zeros as `::`. */
function formatIpv6(groups: number[]): string {
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** The address as the kernel prints it, or undefined when it is neither family. */
export function canonicalIp(s: string): string | undefined {
  if (isIpv4(s)) return s;
  const groups = parseIpv6(s);
  return groups ? formatIpv6(groups) : undefined;
}

/**
 * Never a container: IPv4 0.0.0.0 and link-local 169.254/16 (FRR's unnumbered next hop);
 * IPv6 ::, ::1, link-local fe80::/10 (every port has one; BGP unnumbered peers by them),
 * multicast ff00::/8 and IPv4-mapped ::ffff:0:0/96.
 */
export function isIgnoredAddress(ip: string): boolean {
  if (!isIpv6Text(ip)) return ip === '0.0.0.0' || ip.startsWith('169.254.');
  const g = parseIpv6(ip);
  if (!g) return true;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(7) && g[7] <= 1) return true;
  if (zeroTo(5) && g[5] === 0xffff) return true;
  return (g[0] & 0xffc0) === 0xfe80 || (g[0] & 0xff00) === 0xff00;
}

/** Whether IPv6 `ip` lies inside `prefix`/`length` (both canonical or any spelling). */
export function ipv6InPrefix(ip: string, prefix: string, length: number): boolean {
  const a = parseIpv6(ip);
  const p = parseIpv6(prefix);
  if (!a || !p || length < 0 || length > 128) return false;
  for (let bit = 0; bit < length; bit += 16) {
    const take = Math.min(16, length - bit);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((a[bit / 16] & mask) !== (p[bit / 16] & mask)) return false;
  }
  return true;
}
