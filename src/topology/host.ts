/**
 * What a management or jump host may be, judged before anything reaches the system resolver
 * (getaddrinfo reads `010.1.0.21` as 8.1.0.21, and looks up anything else by name):
 * - an IPv4 address written as four decimal numbers 0-255 without leading zeros; a spelling
 *   inet_aton reads otherwise (octal, hex, 2- or 3-part, a bare number) is refused, saying
 *   what it would have become;
 * - an IPv6 address in any spelling inet_pton reads, but no zone id, not IPv4-mapped or
 *   -compatible, not link-local (it needs a zone), multicast or unspecified;
 * - a host name of RFC 1123 labels (letters, digits, '-'; 1-63 each, 253 in all, no '-' at
 *   either end, no trailing dot), whose last label is not a number (RFC 3696).
 */
import { isIPv6 } from 'node:net';
import { quote } from '../errors.js';
import { describeChar } from './chars.js';
import { canonicalIpv6, formatIpv4, parseIpv6 } from './ip.js';

export interface Host {
  kind: 'ipv4' | 'ipv6' | 'name';
  /** the spelling that names one box: IPv6 in RFC 5952 form, names in lowercase */
  canonical: string;
}

/** Why a host is refused: a message that follows the host (`'x' is ...`), and a hint. */
export interface HostProblem {
  problem: string;
  hint?: string;
}

const IPV4_HINT = 'an IPv4 address is four decimal numbers 0-255 without leading zeros, e.g. 192.0.2.10';

export function judgeHost(host: string): Host | HostProblem {
  if (host.includes(':') || host.includes('%')) return judgeIpv6(host);
  const number = inetAton(host);
  if (number !== null) {
    if (formatIpv4(number) !== host) {
      return { problem: `is not a canonical IPv4 address: the system resolver reads it as ${formatIpv4(number)} (${readAs(host).join('; ')})`, hint: IPV4_HINT };
    }
    const special = specialIpv4(number);
    return special ? { problem: `is ${special}`, hint: 'give the address sshd listens on' } : { kind: 'ipv4', canonical: host };
  }
  const labels = host.split('.');
  if (labels.every((l) => l === '' || NUMERIC_PART.test(l)) && labels.some((l) => l !== '')) return { problem: `is not an IPv4 address: ${notIpv4(labels)}`, hint: IPV4_HINT };
  const bad = nameProblem(host, labels);
  if (bad) return { problem: `is not a host name: ${bad}`, hint: 'a host name is labels of letters, digits and - separated by dots, e.g. leaf01.example.net' };
  return { kind: 'name', canonical: host.toLowerCase() };
}

/** A part inet_aton would take for a number: decimal, octal (leading 0) or hex (0x). */
const NUMERIC_PART = /^(?:0[xX][0-9A-Za-z]*|[0-9]+)$/;

/** What glibc's inet_aton (and so getaddrinfo) reads `s` as, or null when it is not a number to it. */
function inetAton(s: string): number | null {
  const parts = s.split('.');
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const p of parts) {
    if (/^0[xX][0-9a-fA-F]+$/.test(p)) values.push(parseInt(p.slice(2), 16));
    else if (/^0[0-7]*$/.test(p)) values.push(parseInt(p, 8));
    else if (/^[1-9][0-9]*$/.test(p)) values.push(Number(p));
    else return null;
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return null;
  return values.reduce((sum, v, i) => sum + v * 2 ** (8 * (3 - i)), 0) + last;
}

/** Why inet_aton's reading differs from the text. */
function readAs(s: string): string[] {
  const parts = s.split('.');
  const why: string[] = [];
  if (parts.length === 1) why.push('a bare number is the whole 32-bit address');
  else if (parts.length < 4) why.push(`in a ${parts.length}-part address the last part fills ${5 - parts.length} bytes`);
  const hex = parts.find((p) => /^0x/i.test(p));
  if (hex) why.push(`${hex} is hexadecimal`);
  const octal = parts.find((p) => /^0[0-7]+$/.test(p));
  if (octal) why.push(`a leading 0 makes ${octal} octal`);
  return why;
}

/** Why dotted numbers are not an address inet_aton reads (then the resolver would look them up as a name). */
function notIpv4(labels: string[]): string {
  if (labels[labels.length - 1] === '') return 'it ends with a dot';
  if (labels.includes('')) return 'it has an empty part';
  if (labels.length > 4) return `it has ${labels.length} parts`;
  const noHex = labels.find((l) => /^0x/i.test(l) && !/^0x[0-9a-f]+$/i.test(l));
  if (noHex) return `${quote(noHex)} is not a hexadecimal number`;
  const notOctal = labels.find((l) => /^0[0-9]+$/.test(l) && /[89]/.test(l));
  if (notOctal) return `${notOctal} starts with 0, which makes it octal, and has an 8 or 9`;
  const big = labels.find((l, i) => i < labels.length - 1 && Number(l) > 255) ?? labels[labels.length - 1];
  return `${big} is too big for its place`;
}

/** 0.0.0.0/8, multicast and 240/4: no sshd answers there (loopback and link-local do). */
function specialIpv4(n: number): string | null {
  if (n >>> 24 === 0) return "in 0.0.0.0/8 ('this network')";
  if (n >>> 28 === 14) return 'a multicast address (224.0.0.0/4)';
  if (n >>> 28 === 15) return 'in 240.0.0.0/4 (reserved, and the broadcast address)';
  return null;
}

/** RFC 1123 labels, 253 characters in all, the last label not a number (RFC 3696). */
function nameProblem(host: string, labels: string[]): string | null {
  if (host === '') return 'it is empty';
  const odd = /[^A-Za-z0-9.-]/u.exec(host);
  if (odd) return `${describeChar(odd[0])} at character ${Array.from(host.slice(0, odd.index)).length + 1} is not a letter, digit, '-' or '.'`;
  if (host.length > 253) return `it is ${host.length} characters long (at most 253)`;
  if (host.endsWith('.')) return 'it ends with a dot (write it without)';
  if (labels.includes('')) return "it has an empty label ('..' or a leading dot)";
  const long = labels.find((l) => l.length > 63);
  if (long) return `label ${quote(long)} is longer than 63 characters`;
  const dash = labels.find((l) => l.startsWith('-') || l.endsWith('-'));
  if (dash) return `label ${quote(dash)} starts or ends with '-'`;
  const last = labels[labels.length - 1];
  if (/^[0-9]+$/.test(last)) return `its last label ${quote(last)} is a number`;
  return null;
}

const IPV6_HINT = "use the node's global or unique-local IPv6 address, e.g. 2001:db8::10";

function judgeIpv6(host: string): Host | HostProblem {
  if (/^\[.*\]$/.test(host)) return { problem: 'is in brackets', hint: `write the address alone: ${host.slice(1, -1)}` };
  const zone = host.indexOf('%');
  if (zone >= 0) return { problem: `has a zone id (${quote(host.slice(zone))}): cldemo takes no link-local addresses`, hint: IPV6_HINT };
  if (!isIPv6(host)) return { problem: 'is not an IPv6 address (eight groups of 1-4 hex digits, one :: for a run of zeros)' };
  const canonical = canonicalIpv6(host);
  const special = specialIpv6(canonical);
  return special ? { problem: `is ${special}`, hint: special.includes('IPv4') ? `write the IPv4 address ${embeddedIpv4(canonical)}` : IPV6_HINT } : { kind: 'ipv6', canonical };
}

/** The 8 groups of an IPv6 address. */
function groups(address: string): number[] {
  const n = parseIpv6(address)!;
  return Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
}

function specialIpv6(canonical: string): string | null {
  const g = groups(canonical);
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return 'the unspecified address (::)';
  if (zeros(5) && g[5] === 0xffff) return 'an IPv4-mapped IPv6 address (::ffff:0:0/96): ssh and known_hosts take it for another host than the IPv4 one';
  if (zeros(6) && !(g[6] === 0 && g[7] <= 1)) return 'an IPv4-compatible IPv6 address (::/96, deprecated by RFC 4291)';
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local (fe80::/10): it needs a zone id, which cldemo does not take';
  if (g[0] >>> 8 === 0xff) return 'a multicast address (ff00::/8)';
  return null;
}

function embeddedIpv4(canonical: string): string {
  const g = groups(canonical);
  return formatIpv4(((g[6] << 16) | g[7]) >>> 0);
}

/** The host as ssh writes it beside a port: `[2001:db8::1]:22`, `leaf01:22`. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
