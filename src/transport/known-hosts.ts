/**
 * OpenSSH known_hosts, read the way ssh(1) reads it: plain and hashed host names,
 * `[host]:port` for ports other than 22, wildcards and negations, `@revoked` keys.
 * Pure functions, so the rules are tested without a network.
 */

import { createHmac } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { canonicalIpv6 } from '../topology/ip.js';

export interface KnownHostEntry {
  line: number; // 1-based line in the file
  marker?: 'revoked' | 'cert-authority';
  hosts: string; // the host field as written (comma list, or |1|salt|hash)
  keyType: string;
  key: Buffer; // the public key blob, as the server sends it
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = parseLine(raw.trim(), index + 1);
    if (entry) entries.push(entry);
  });
  return entries;
}

function parseLine(text: string, line: number): KnownHostEntry | undefined {
  if (text === '' || text.startsWith('#')) return undefined;
  const fields = text.split(/\s+/);
  let marker: KnownHostEntry['marker'];
  if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
    marker = fields.shift()!.slice(1) as KnownHostEntry['marker'];
  }
  const [hosts, keyType, base64] = fields;
  if (!hosts || !keyType || !base64) return undefined;
  return { line, marker, hosts, keyType, key: Buffer.from(base64, 'base64') };
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * The names an entry for host:port may be written under: the host as given, lowercased (ssh
 * lowercases what it looks up), and an IPv6 address in its RFC 5952 form (what ssh-keyscan
 * or CheckHostIP write for `2001:DB8:0::1`), each as `[host]:port` off port 22.
 */
function hostLookupNames(host: string, port: number): string[] {
  const forms = new Set([host, host.toLowerCase()]);
  if (isIPv6(host)) forms.add(canonicalIpv6(host));
  return [...forms].map((h) => hostLookupName(h, port));
}

function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  return hostLookupNames(host, port).some((name) => entryMatchesName(entry, name));
}

function entryMatchesName(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|1|')) return hashedMatches(entry.hosts, name);
  let matched = false;
  for (const pattern of entry.hosts.split(',')) {
    const negated = pattern.startsWith('!');
    if (!wildcardMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/**
 * ssh's `*` and `?` glob, case-insensitive, in O(pattern x name) time: a regex of `.*`s
 * backtracks exponentially (`*a*a*a*a*a*a*a*a*a*a*z` took 28 s against a 40-character name).
 * On a mismatch after a `*`, only the last `*` is retried one character further.
 */
export function wildcardMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (j < n.length) {
    if (i < p.length && (p[i] === '?' || p[i] === n[j])) {
      i++;
      j++;
    } else if (i < p.length && p[i] === '*') {
      star = i++;
      resume = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++resume;
    } else return false;
  }
  while (i < p.length && p[i] === '*') i++;
  return i === p.length;
}

export type HostKeyVerdict =
  | { ok: true; entry: KnownHostEntry }
  | { ok: false; reason: 'unknown' | 'mismatch' | 'revoked'; lines: number[] };

/** Does the known_hosts content vouch for `key` presented by host:port? */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { ok: false, reason: 'revoked', lines: [revoked.line] };
  const forHost = entries.filter((e) => e.marker === undefined && entryMatchesHost(e, host, port));
  const match = forHost.find((e) => e.key.equals(key));
  if (match) return { ok: true, entry: match };
  if (forHost.length === 0) return { ok: false, reason: 'unknown', lines: [] };
  return { ok: false, reason: 'mismatch', lines: forHost.map((e) => e.line) };
}

// ssh-rsa keys sign with these algorithms; the others name themselves.
const RSA_ALGORITHMS = ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * Host key algorithms to offer, limited to the key types known_hosts holds for this host,
 * as ssh does: otherwise the server may pick a type we have no entry for and fail a host
 * we do know.
 */
export function hostKeyAlgorithms(entries: KnownHostEntry[], host: string, port: number): string[] {
  const types = entries
    .filter((e) => e.marker === undefined && entryMatchesHost(e, host, port))
    .flatMap((e) => (e.keyType === 'ssh-rsa' ? RSA_ALGORITHMS : [e.keyType]));
  return [...new Set(types)];
}
