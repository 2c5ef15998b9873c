import { execFileSync } from 'node:child_process';
import { assertSafeName, isSafeName, shellCommand, shellQuote } from '../../src/transport/shell.js';

describe('shellQuote', () => {
  const nasty = ["it's", 'a b', '$(touch /tmp/pwned)', '`id`', 'x;y', '"q"', '', 'new\nline', '*', '-n'];

  test.each(nasty)('a real sh gets %j back unchanged', (arg) => {
    const out = execFileSync('sh', ['-c', `printf %s ${shellQuote(arg)}`], { encoding: 'utf8' });
    expect(out).toBe(arg);
  });

  test('leaves plain words alone', () => {
    expect(shellCommand('vtysh', '-c', 'show ip route json')).toBe("vtysh -c 'show ip route json'");
    expect(shellQuote('/etc/frr/frr.conf')).toBe('/etc/frr/frr.conf');
    expect(shellQuote(10)).toBe('10');
  });
});

describe('assertSafeName', () => {
  test.each(['leaf01', 'server01-172.16.1.11', 'server01_eth1', 'swp1'])('accepts %s', (name) => {
    expect(isSafeName(name)).toBe(true);
  });

  test.each(['', '-rf', '.hidden', 'a b', 'a;b', 'a/b', '$x', 'x'.repeat(64)])('refuses %j with a usage error', (name) => {
    expect(() => assertSafeName(name, 'node name')).toThrow(/node name .* is not allowed/);
  });
});
