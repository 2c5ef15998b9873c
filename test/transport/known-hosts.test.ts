import { checkHostKey, hostKeyAlgorithms, parseKnownHosts, wildcardMatches } from '../../src/transport/known-hosts.js';

// Lines made by ssh-keygen: one key, written plain and then hashed with `ssh-keygen -H`.
const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIL2eMA28RZAI7bsFHdjBh72z6QDxQkDepoCRmJbEtNMy';
const OTHER = 'AAAAC3NzaC1lZDI1NTE5AAAAIIYIvtutjycSymMqRBMLAEAl+WhBaQq0NZ+tUw6qkdv3';
const HASHED_PORT_2222 = `|1|4CnqgPKyekBWK8l2unWGd3nqOlw=|xRiI4+LKOx7kBLOLcBfWQpasry0= ssh-ed25519 ${KEY}`; // [10.0.0.5]:2222
const HASHED_SERVER01 = `|1|7NThw+BQBa+bsLis8EY6T1JWM8c=|uj/S28j8RIO5wBOBzFY5ZrcJoI0= ssh-ed25519 ${KEY}`; // server01.example

// `ssh-keygen -H` of `[2001:db8::1]:2222 ...` and of `2001:db8::1 ...`
const HASHED_V6_PORT_2222 = `|1|cFxB2imEXuA1UQZ8bqZZBiHXvSA=|3HnKwFItiCRnBhoeuX4zOi+9hQA= ssh-ed25519 ${KEY}`;
const HASHED_V6_PORT_22 = `|1|/uvXQ9D4gUO/GLwQrUjY2sU1Y8g=|QiVXqY5GukV8MqLBgVJBat2eSlw= ssh-ed25519 ${KEY}`;

const key = Buffer.from(KEY, 'base64');
const other = Buffer.from(OTHER, 'base64');

describe('known_hosts', () => {
  test('plain host on port 22', () => {
    const entries = parseKnownHosts(`# comment\n\n10.0.0.5 ssh-ed25519 ${KEY} root@x\n`);
    expect(checkHostKey(entries, '10.0.0.5', 22, key)).toMatchObject({ ok: true, entry: { line: 3 } });
    expect(checkHostKey(entries, '10.0.0.5', 2222, key)).toEqual({ ok: false, reason: 'unknown', lines: [] });
  });

  test('[host]:port form', () => {
    const entries = parseKnownHosts(`[10.0.0.5]:2222 ssh-ed25519 ${KEY}`);
    expect(checkHostKey(entries, '10.0.0.5', 2222, key).ok).toBe(true);
    expect(checkHostKey(entries, '10.0.0.5', 22, key).ok).toBe(false);
  });

  test('IPv6: bare on port 22, [address]:port otherwise, as ssh writes them', () => {
    const entries = parseKnownHosts(`2001:db8::1 ssh-ed25519 ${KEY}\n[2001:db8::2]:2222 ssh-ed25519 ${KEY}\n`);
    expect(checkHostKey(entries, '2001:db8::1', 22, key)).toMatchObject({ ok: true, entry: { line: 1 } });
    expect(checkHostKey(entries, '2001:db8::1', 2222, key).ok).toBe(false);
    expect(checkHostKey(entries, '2001:db8::2', 2222, key)).toMatchObject({ ok: true, entry: { line: 2 } });
    expect(checkHostKey(entries, '2001:db8::2', 22, key).ok).toBe(false);
  });

  test('IPv6 spelled otherwise in the topology still finds the entry written in RFC 5952 form, and the reverse', () => {
    const canonical = parseKnownHosts(`[2001:db8::1]:2222 ssh-ed25519 ${KEY}`);
    for (const spelled of ['2001:DB8::1', '2001:db8:0:0:0:0:0:1', '2001:0db8::0001']) expect(checkHostKey(canonical, spelled, 2222, key).ok).toBe(true);
    const spelled = parseKnownHosts(`[2001:DB8:0::1]:2222 ssh-ed25519 ${KEY}`);
    expect(checkHostKey(spelled, '2001:DB8:0::1', 2222, key).ok).toBe(true);
    expect(checkHostKey(spelled, '2001:db8:0::1', 2222, key).ok).toBe(true);
    // another address is another host
    expect(checkHostKey(canonical, '2001:db8::2', 2222, key)).toEqual({ ok: false, reason: 'unknown', lines: [] });
  });

  test('hashed IPv6 entries made by ssh-keygen -H match any spelling of the address', () => {
    const entries = parseKnownHosts(`${HASHED_V6_PORT_2222}\n${HASHED_V6_PORT_22}\n`);
    expect(checkHostKey(entries, '2001:0DB8:0::1', 2222, key)).toMatchObject({ ok: true, entry: { line: 1 } });
    expect(checkHostKey(entries, '2001:db8::1', 22, key)).toMatchObject({ ok: true, entry: { line: 2 } });
    expect(checkHostKey(entries, '2001:db8::1', 2200, key).ok).toBe(false);
  });

  test('a host name is looked up lowercased, as ssh hashes it', () => {
    expect(checkHostKey(parseKnownHosts(HASHED_SERVER01), 'Server01.EXAMPLE', 22, key).ok).toBe(true);
  });

  test('hashed entries made by ssh-keygen -H', () => {
    const entries = parseKnownHosts(`${HASHED_PORT_2222}\n${HASHED_SERVER01}\n`);
    expect(checkHostKey(entries, '10.0.0.5', 2222, key)).toMatchObject({ ok: true, entry: { line: 1 } });
    expect(checkHostKey(entries, 'server01.example', 22, key)).toMatchObject({ ok: true, entry: { line: 2 } });
    expect(checkHostKey(entries, 'server02.example', 22, key).ok).toBe(false);
  });

  test('a different key for a known host is a mismatch naming the lines', () => {
    const entries = parseKnownHosts(`a ssh-rsa AAAA\n10.0.0.5,server01 ssh-ed25519 ${KEY}\n`);
    expect(checkHostKey(entries, 'server01', 22, other)).toEqual({ ok: false, reason: 'mismatch', lines: [2] });
  });

  test('comma lists, wildcards and negation', () => {
    const entries = parseKnownHosts(`*.lab,!bad.lab ssh-ed25519 ${KEY}`);
    expect(checkHostKey(entries, 'leaf01.lab', 22, key).ok).toBe(true);
    expect(checkHostKey(entries, 'bad.lab', 22, key).ok).toBe(false);
  });

  test('@revoked wins over a matching entry; @cert-authority lines are not host keys', () => {
    const entries = parseKnownHosts(`@revoked * ssh-ed25519 ${KEY}\nh ssh-ed25519 ${KEY}\n@cert-authority h ssh-ed25519 ${OTHER}\n`);
    expect(checkHostKey(entries, 'h', 22, key)).toEqual({ ok: false, reason: 'revoked', lines: [1] });
    expect(checkHostKey(entries, 'h', 22, other).ok).toBe(false);
  });

  test('offers only the host key algorithms known_hosts holds for the host', () => {
    const entries = parseKnownHosts(`h ssh-rsa AAAA\nh ssh-ed25519 ${KEY}\nother ecdsa-sha2-nistp256 AAAA\n`);
    expect(hostKeyAlgorithms(entries, 'h', 22)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    expect(hostKeyAlgorithms(entries, 'nobody', 22)).toEqual([]);
  });
});

describe('wildcard patterns', () => {
  test('match as ssh does: * any run, ? one character, case-insensitive', () => {
    expect(wildcardMatches('*.lab', 'leaf01.LAB')).toBe(true);
    expect(wildcardMatches('leaf0?', 'leaf01')).toBe(true);
    expect(wildcardMatches('leaf0?', 'leaf011')).toBe(false);
    expect(wildcardMatches('*', '')).toBe(true);
    expect(wildcardMatches('a*b*c', 'aXbYc')).toBe(true);
    expect(wildcardMatches('a*b*c', 'aXbY')).toBe(false);
    expect(wildcardMatches('[10.0.0.*]:2222', '[10.0.0.7]:2222')).toBe(true);
    expect(wildcardMatches('10.0.0.1', '10.0.0.10')).toBe(false);
  });

  // a backtracking regex took 28 s on 10 stars and 40 characters; this would outlive jest's timeout
  test('a pattern built to backtrack is answered at once', () => {
    const entries = parseKnownHosts(`${'*a'.repeat(30)}*z ssh-ed25519 ${KEY}\n`);
    expect(checkHostKey(entries, 'a'.repeat(4000), 22, key).ok).toBe(false);
  });
});
