/**
 * A reader that goes away early (`cldemo graph --format html | head`): cldemo ends quietly, as
 * a Unix tool does (nothing on stderr, the status a shell shows for SIGPIPE, 141), instead of
 * crashing with an EPIPE stack trace.
 */
import { spawn } from 'node:child_process';

function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['bin/cldemo.js', ...args], { env: { ...process.env, NO_COLOR: '1' } });
  // the reader reads nothing and goes away at once, as head does after its lines
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

test.each([
  [['graph', '--format', 'html']],
  [['graph', '--format', 'html', '-t', 'examples/dual-stack.yaml']],
])('cldemo %j into a closed pipe: exit 141, nothing on stderr', async (args) => {
  const r = await withClosedStdout(args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(141);
});
