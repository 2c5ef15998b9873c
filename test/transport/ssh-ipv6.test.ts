/**
 * An IPv6 management address reaches sshd: an in-process ssh2.Server on ::1, a known_hosts
 * that names it as ssh writes it (`[::1]:PORT` off port 22), and the topology's spelling of
 * the address canonical or not. The host key is still checked: a wrong key is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { connectNode } from '../../src/transport/ssh-connect.js';
import type { Mgmt } from '../../src/topology/types.js';

const { Server, utils } = ssh2;
const hostKey = utils.generateKeyPairSync('ed25519');
const otherKey = utils.generateKeyPairSync('ed25519');
const clientKey = utils.generateKeyPairSync('ed25519');
const dir = mkdtempSync(join(tmpdir(), 'cldemo-ssh6-'));
const identityFile = join(dir, 'id_ed25519');
writeFileSync(identityFile, clientKey.private, { mode: 0o600 });
const clientPublic = (utils.parseKey(clientKey.public) as ssh2.ParsedKey).getPublicSSH();

/** `ssh-ed25519 AAAA...` of an OpenSSH public key line. */
const keyField = (pub: string) => pub.split(' ').slice(0, 2).join(' ');

let server: InstanceType<typeof Server>;
let port: number;
const peers: string[] = [];

beforeAll(async () => {
  server = new Server({ hostKeys: [hostKey.private] }, (client, info) => {
    peers.push(info.ip);
    client.on('authentication', (ctx) => (ctx.method === 'publickey' && ctx.key.data.equals(clientPublic) ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function knownHosts(name: string, line: string): string {
  const file = join(dir, name);
  writeFileSync(file, `${line}\n`);
  return file;
}

const mgmt = (host: string, known: string): Mgmt => ({ host, port, user: 'ops', identityFile, knownHosts: known });

it.each(['::1', '0:0:0:0:0:0:0:1', '0000::0001'])('mgmt host %s connects to sshd on ::1, its key found under [::1]:port', async (host) => {
  const known = knownHosts('known_hosts', `[::1]:${port} ${keyField(hostKey.public)}`);
  const conn = await connectNode('leaf01', mgmt(host, known), { sshConfig: '' });
  await conn.close();
  expect(peers[peers.length - 1]).toBe('::1');
});

it('a known_hosts entry written as the topology spells the address is found too', async () => {
  const known = knownHosts('known_hosts_spelled', `[0:0:0:0:0:0:0:1]:${port} ${keyField(hostKey.public)}`);
  const conn = await connectNode('leaf01', mgmt('0:0:0:0:0:0:0:1', known), { sshConfig: '' });
  await conn.close();
});

it('another key for [::1]:port is refused, naming the entry as ssh writes it', async () => {
  const known = knownHosts('known_hosts_other', `[::1]:${port} ${keyField(otherKey.public)}`);
  await expect(connectNode('leaf01', mgmt('::1', known), { sshConfig: '' })).rejects.toThrow(`leaf01: host key of [::1]:${port} does NOT match ${known}:1`);
});

it('no entry: the message and the ssh-keyscan hint name the address, not a mangled host:port', async () => {
  const known = knownHosts('known_hosts_empty', '');
  await expect(connectNode('leaf01', mgmt('::1', known), { sshConfig: '' })).rejects.toThrow(`host key of [::1]:${port} is not in ${known}; refusing to connect (check the key, then add it: ssh-keyscan -p ${port} '::1' >> '${known}')`);
});
