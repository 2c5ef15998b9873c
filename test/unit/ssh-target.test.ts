/**
 * How a node is reached once the topology and ~/.ssh/config are combined, the jump host
 * syntax, which credentials are offered, and the one-line sudo hint. Pure: no network.
 */
import { parseJump, formatJump } from '../../src/topology/jump.js';
import { loadPlanSync } from '../../src/providers.js';
import { resolveTarget } from '../../src/transport/ssh-config.js';
import { credentials, describeHostKeyProblem, jumpTarget } from '../../src/transport/ssh-connect.js';
import { sudoersHint } from '../../src/transport/ssh-connection.js';
import type { Mgmt } from '../../src/topology/types.js';

const CONFIG = `
Host bastion
  HostName 203.0.113.5
  User jumper
  Port 2200
  IdentityFile ~/.ssh/bastion_key

Host leaf*
  HostName %h.dc1.example.net
  User cumulus
  Port 2222
  IdentityFile ~/.ssh/fabric_%r
  ProxyJump ops@bastion

Host two-hops
  ProxyJump a,b

Host *
  User fallback
`;

const mgmt = (over: Partial<Mgmt> = {}): Mgmt => ({ host: 'leaf01', port: 22, user: 'root', defaulted: ['user', 'port'], ...over });

describe('jump host syntax', () => {
  it.each([
    ['bastion', { host: 'bastion' }],
    ['ops@bastion', { user: 'ops', host: 'bastion' }],
    ['ops@10.0.0.1:2222', { user: 'ops', host: '10.0.0.1', port: 2222 }],
    ['ssh://ops@bastion.example.net:22', { user: 'ops', host: 'bastion.example.net', port: 22 }],
    ['[2001:db8::1]:2200', { host: '2001:db8::1', port: 2200 }],
    ['ops@[::1]:22', { user: 'ops', host: '::1', port: 22 }],
    ['ssh://[2001:DB8:0:0:0:0:0:1]', { host: '2001:DB8:0:0:0:0:0:1' }],
    ['[bastion]:2222', { host: 'bastion', port: 2222 }],
  ])('%s', (spec, expected) => {
    expect(parseJump(spec)).toEqual(expected);
    expect(parseJump(formatJump(parseJump(spec)!))).toEqual(expected);
  });

  it.each(['', 'a,b', 'ops@', '@host', 'host:0', 'host:70000', 'ho st', 'host;rm -rf /', 'ops@010.1.0.1', 'ops@10.1.9:22', 'ops@167837697', 'ops@10.1.0.1.', 'bastion.123',
    'ops@2001:db8::1', 'ops@[fe80::1%eth0]:22', 'ops@[::ffff:10.0.0.1]', 'ops@[2001:db8::1::2]', 'my_bastion'])('refuses %j', (spec) => {
    expect(parseJump(spec)).toBeNull();
  });
});

describe('~/.ssh/config', () => {
  it('supplies HostName, User, Port, IdentityFile and ProxyJump for what the topology leaves open', () => {
    expect(resolveTarget('leaf01', mgmt(), CONFIG, '/home/me')).toEqual({
      alias: 'leaf01',
      host: 'leaf01.dc1.example.net',
      user: 'cumulus',
      port: 2222,
      identityFile: '/home/me/.ssh/fabric_cumulus',
      jump: { user: 'ops', host: 'bastion' },
    });
  });

  it('never overrides what the topology says', () => {
    const given = mgmt({ user: 'admin', port: 22, defaulted: [], identityFile: '/keys/id', jump: { host: 'other' } });
    expect(resolveTarget('leaf01', given, CONFIG, '/home/me')).toEqual({ alias: 'leaf01', host: 'leaf01.dc1.example.net', user: 'admin', port: 22, identityFile: '/keys/id', jump: { host: 'other' } });
  });

  it('without a config file, or for a host it does not name, the topology (and root@:22) stands', () => {
    expect(resolveTarget('s1', mgmt({ host: '192.0.2.1' }), undefined)).toMatchObject({ host: '192.0.2.1', user: 'root', port: 22 });
    expect(resolveTarget('s1', mgmt({ host: '192.0.2.1' }), CONFIG)).toMatchObject({ host: '192.0.2.1', user: 'fallback', port: 22 });
  });

  it('a ProxyJump of more than one hop is refused, naming the node', () => {
    expect(() => resolveTarget('s1', mgmt({ host: 'two-hops' }), CONFIG)).toThrow(/^s1: ProxyJump a,b .* more than one hop/);
  });

  it('the bastion gets its own entry; the node user and key when it has none', () => {
    const target = resolveTarget('leaf01', mgmt(), CONFIG, '/home/me');
    // ops@bastion: the user is given, the rest comes from Host bastion
    expect(jumpTarget('leaf01', target, mgmt(), CONFIG)).toMatchObject({ host: '203.0.113.5', port: 2200, user: 'ops' });
    const plain = resolveTarget('n1', mgmt({ host: '192.0.2.1', user: 'cumulus', defaulted: [], identityFile: '/k', jump: { host: '198.51.100.7' } }), undefined);
    expect(jumpTarget('n1', plain, mgmt(), undefined)).toMatchObject({ host: '198.51.100.7', port: 22, user: 'cumulus', identityFile: '/k' });
  });
});

describe('credentials', () => {
  it('a named key file is used (the agent too, as ssh does)', async () => {
    const c = await credentials('n1', { identityFile: 'test/unit/ssh-target.test.ts' }, { SSH_AUTH_SOCK: '/tmp/agent.sock' });
    expect(c.agent).toBe('/tmp/agent.sock');
    expect(c.privateKey).toContain('credentials');
    expect(c.authHandler).toEqual(['publickey', 'agent']);
  });

  it('no key file named and SSH_AUTH_SOCK set: the agent alone', async () => {
    expect(await credentials('n1', {}, { SSH_AUTH_SOCK: '/tmp/agent.sock' })).toEqual({ agent: '/tmp/agent.sock', authHandler: ['agent'] });
  });

  it('an unreadable key file is an error naming the node and the file', async () => {
    await expect(credentials('n1', { identityFile: '/nonexistent/key' }, {})).rejects.toThrow(/^n1: cannot read SSH identity file \/nonexistent\/key/);
  });
});

describe('the topology', () => {
  const base = `name: t1
provider: external
subnet: 10.9.0.0/24
gateway: 10.9.0.1
ssh: { user: cumulus, sudo: true, jump: ops@bastion:2222 }
switches:
  s1: { role: spine, asn: 65100, loopback: 10.255.0.1, mgmt: { host: 192.0.2.10 } }
  l1: { role: leaf, asn: 65101, loopback: 10.255.0.11, mgmt: { host: leaf01, sudo: false, jump: 10.1.1.1, port: 830 } }
servers: {}
links:
  - [s1:swp1, l1:swp51]
`;

  it('ssh.sudo and ssh.jump apply to every node; mgmt overrides them; defaults are marked', () => {
    const plan = loadPlanSync('t.yaml', base);
    expect(plan.switches[0].mgmt).toMatchObject({ host: '192.0.2.10', user: 'cumulus', port: 22, sudo: true, jump: { user: 'ops', host: 'bastion', port: 2222 }, defaulted: ['port'] });
    expect(plan.switches[1].mgmt).toMatchObject({ host: 'leaf01', port: 830, jump: { host: '10.1.1.1' } });
    expect(plan.switches[1].mgmt.sudo).toBeUndefined();
    expect(plan.switches[1].mgmt.defaulted).toBeUndefined();
  });
});

it('the sudo hint names the user and the exact sudoers line', () => {
  expect(sudoersHint('cumulus')).toBe("add 'cumulus ALL=(root) NOPASSWD: ALL' to /etc/sudoers.d/cldemo (visudo -f /etc/sudoers.d/cldemo)");
});

it('an unknown host key: the hint is an ssh-keyscan line with the host and every path quoted', () => {
  const target = { alias: 'leaf01', host: '10.1.0.21', port: 2222, user: 'cumulus' };
  expect(describeHostKeyProblem('unknown', [], target, "/home/o'neil/my keys/known_hosts")).toBe(
    "host key of [10.1.0.21]:2222 is not in /home/o'neil/my keys/known_hosts; refusing to connect (check the key, then add it: ssh-keyscan -p 2222 '10.1.0.21' >> '/home/o'\\''neil/my keys/known_hosts')",
  );
});
