/**
 * The connection pool against an sshd in this process (no root): after a node drops its
 * connection, concurrent `get`s share one new handshake and one connection; `closeAll`
 * closes every connection it ever opened, a handshake still in flight included, so no live
 * SSH client is left to keep the CLI from exiting.
 */
import { NodeError } from '../../src/errors.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import { startFakeSshd, type FakeSshd } from './fake-sshd.js';

let sshd: FakeSshd;

beforeEach(async () => {
  sshd = await startFakeSshd();
});

afterEach(async () => {
  await sshd.stop();
});

const pool = () => new ConnectionPool({ sshConfig: '', readyTimeoutMs: 5000 });

/** until the pool's client has seen the server hang up */
async function dropped(p: ConnectionPool, node: string): Promise<void> {
  for (let i = 0; i < 100 && !p.isLost(node); i++) await new Promise((r) => setTimeout(r, 20));
  expect(p.isLost(node)).toBe(true);
}

describe('connection pool', () => {
  test('concurrent gets of a new node share one handshake', async () => {
    const p = pool();
    const [a, b, c] = await Promise.all([p.get('leaf01', sshd.mgmt), p.get('leaf01', sshd.mgmt), p.get('leaf01', sshd.mgmt)]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(sshd.logins()).toBe(1);
    await p.closeAll();
    await sshd.allClosed();
  });

  // Over 100 ms to a far node each request is 100 ms: ssh2's default asks with `none` first
  // (["none", "publickey", "publickey+signature"] before), only to hear "publickey".
  test('a login offers the key at once: no `none` request first', async () => {
    const p = pool();
    const conn = await p.get('leaf01', sshd.mgmt);
    expect((await conn.exec('true')).code).toBe(0);
    expect(sshd.authRequests()).toEqual(['publickey', 'publickey+signature']);
    await p.closeAll();
  });

  test('after the node drops the connection, two concurrent gets make one new handshake and get the same connection', async () => {
    const p = pool();
    const first = await p.get('leaf01', sshd.mgmt);
    sshd.dropAll();
    await dropped(p, 'leaf01');
    const [a, b] = await Promise.all([p.get('leaf01', sshd.mgmt), p.get('leaf01', sshd.mgmt)]);
    expect(a).not.toBe(first);
    expect(b).toBe(a);
    expect(sshd.logins()).toBe(2);
    expect(p.handshakes).toBe(2);
    expect((await a.exec('true')).code).toBe(0);
    await p.closeAll();
    await sshd.allClosed(); // none left open to keep the process alive
  });

  test('closeAll closes a connection whose handshake is still in flight', async () => {
    const p = pool();
    const release = sshd.holdLogins();
    const pending = p.get('leaf01', sshd.mgmt);
    for (let i = 0; i < 100 && sshd.logins() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(sshd.logins()).toBe(1);
    const closing = p.closeAll();
    release();
    await closing;
    await pending.then(
      (c) => expect(c.exec('true')).rejects.toThrow(),
      (e: unknown) => expect(e).toBeInstanceOf(NodeError),
    );
    await sshd.allClosed();
  });

  test('a reconnect that starts while closeAll runs is closed too, and a get after closeAll is refused', async () => {
    const p = pool();
    await p.get('leaf01', sshd.mgmt);
    sshd.dropAll();
    await dropped(p, 'leaf01');
    const late = p.get('leaf01', sshd.mgmt).catch((e: unknown) => e as Error);
    await p.closeAll();
    const r = await late;
    if (!(r instanceof Error)) await expect(r.exec('true')).rejects.toThrow();
    await expect(p.get('leaf02', sshd.mgmt)).rejects.toThrow(/leaf02: .*closed/);
    await sshd.allClosed();
  });

  test('nodes behind one jump host share one bastion connection, also after it dropped', async () => {
    const p = pool();
    const behind = { ...sshd.mgmt, jump: { host: '127.0.0.1', port: sshd.port, user: 'tester' } };
    await Promise.all([p.get('leaf01', behind), p.get('leaf02', behind)]);
    expect(p.bastionHandshakes).toBe(1);
    sshd.dropAll();
    await dropped(p, 'leaf01');
    await dropped(p, 'leaf02');
    const [a, b] = await Promise.all([p.get('leaf01', behind), p.get('leaf02', behind)]);
    expect((await a.exec('true')).code).toBe(0);
    expect((await b.exec('true')).code).toBe(0);
    expect(p.bastionHandshakes).toBe(2);
    expect(p.handshakes).toBe(4);
    await p.closeAll();
    await sshd.allClosed();
  });
});
