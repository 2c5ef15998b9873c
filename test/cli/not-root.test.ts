/**
 * Run by a user who is not root (process.getuid answers 1000 here, whoever runs the suite):
 * the lab commands refuse in one line before they read anything (the labs' state is root's,
 * so their answers would be wrong: every node "stopped", "no labs"), while what an operator
 * runs against real boxes does not ask for root.
 */
import { jest } from '@jest/globals';
import { main } from '../../src/cli.js';

async function asUser(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const uid = jest.spyOn(process, 'getuid').mockReturnValue(1000);
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((c: unknown) => out.push(String(c)) > 0);
  const ewrite = jest.spyOn(process.stderr, 'write').mockImplementation((c: unknown) => err.push(String(c)) > 0);
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(`${a.join(' ')}\n`));
  try {
    process.exitCode = undefined;
    const code = await main(['node', 'cldemo', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    for (const spy of [uid, write, ewrite, log]) spy.mockRestore();
    process.exitCode = undefined;
  }
}

describe('as a user who is not root', () => {
  test.each([['list'], ['status', '-t', 'topology.yaml'], ['up', '-t', 'topology.yaml'], ['down', '--name', 'cldemo'], ['exec', '-t', 'topology.yaml', 'leaf01', '--', 'true'], ['node', '-t', 'topology.yaml', 'leaf01', 'down'], ['impair', '-t', 'topology.yaml', '--list']])(
    'cldemo lab %s: one line saying it needs root, exit 1',
    async (sub, ...rest) => {
      const r = await asUser(['lab', sub, ...rest]);
      expect(r.stderr).toMatch(new RegExp(`^error: cldemo lab ${sub} works on network namespaces, mounts and the labs' root-only state in \\S+: run it as root \\(sudo cldemo lab ${sub} \\.\\.\\.\\)\\n$`));
      expect(r.stdout).toBe('');
      expect(r.code).toBe(1);
    },
  );

  test('lab link on the lab: one line saying it needs root, exit 1; on real boxes it does not ask (it asks for --yes, exit 2)', async () => {
    const lab = await asUser(['lab', 'link', '-t', 'topology.yaml', 'leaf01:swp51', 'down']);
    expect([lab.code, lab.stderr]).toEqual([1, "error: cldemo lab link works inside the lab's namespaces: run it as root (sudo cldemo lab link ...)\n"]);
    const external = await asUser(['lab', 'link', '-t', 'test/fixtures/hostile/external-ok.yaml', 'leaf01:swp51', 'down']);
    expect([external.code, external.stderr]).toEqual([2, 'error: lab link leaf01:swp51 down changes a real leaf01 (provider external): add --yes to do it\n']);
  });

  test('validate, plan and render need no root', async () => {
    for (const args of [['validate'], ['plan'], ['render', '--node', 'leaf01']]) {
      const r = await asUser(args);
      expect([args, r.code, r.stderr]).toEqual([args, 0, '']);
    }
  });
});
