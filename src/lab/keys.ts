/** SSH keys: one client key pair per lab, one host key per node, and the known_hosts that vouches for them. */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostLookupName } from '../transport/known-hosts.js';
import { labKeyFile, sshDir } from './names.js';
import { privateDir } from './state.js';
import { run } from './run.js';

export async function generateKey(file: string, comment: string): Promise<string> {
  if (!existsSync(file)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

export async function labKey(planName: string): Promise<string> {
  privateDir(sshDir(planName));
  const key = await generateKey(labKeyFile(planName), `cldemo-lab-${planName}`);
  chmodSync(`${labKeyFile(planName)}.pub`, 0o600); // ssh-keygen makes it 0644; cldemo's own files are its owner's alone
  return key;
}

export function hostKeyFile(nodeDir: string): string {
  return join(nodeDir, 'ssh_host_ed25519_key');
}

/** "IP keytype key" per node: clients connect by management address with StrictHostKeyChecking=yes. */
export function writeKnownHosts(file: string, entries: Array<{ host: string; port: number; publicKey: string }>): void {
  const lines = entries.map(({ host, port, publicKey }) => {
    const [type, key] = publicKey.split(' ');
    return `${hostLookupName(host, port)} ${type} ${key}`;
  });
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // a file an older lab up wrote keeps its mode otherwise
}
