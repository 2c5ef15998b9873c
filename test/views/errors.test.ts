/**
 * Errors that say the one thing, through the built CLI and without a lab: a lab that is not
 * up is one line; the same failure on every node is one line naming the nodes; tables fit
 * 100 columns.
 */
import { runCli } from '../helpers/cli.js';

const NOT_UP = 'test/views/fixtures/views.yaml'; // a lab no test leaves running
const NO_KNOWN_HOSTS = 'test/views/fixtures/external-no-known-hosts.yaml';

describe('errors said once', () => {
  test.each([['up'], ['ping-sweep'], ['verify-routes'], ['down'], ['status'], ['events'], ['graph', '--serve']])('%s on a lab that is not up: one line, exit 1', (...args) => {
    const r = runCli([...args, '-t', NOT_UP]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: lab views is not up: run cldemo lab up\n');
  });

  test.each([['up'], ['down'], ['status']])('%s with the same failure on every node: the reason once, naming the nodes', (cmd) => {
    const r = runCli([cmd, '-t', NO_KNOWN_HOSTS]);
    expect(r.code).toBe(1);
    const mentions = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('known_hosts'));
    expect(mentions).toHaveLength(1);
    // status says which way it failed: the connection (ssh)
    expect(mentions[0]).toMatch(/^error: (spine1, leaf1, leaf2, host1|host1, spine1, leaf1, leaf2): (unreachable \(ssh: )?cannot read known_hosts file \/nonexistent\/cldemo-test\/known_hosts/);
    for (const l of r.stdout.split('\n')) expect(l.length).toBeLessThanOrEqual(100);
  });
});
