/**
 * SIGHUP must never kill the agent: a reload whose kernel read fails (here `ip neigh show`
 * fails, as it would with netlink under memory pressure or a broken ip) is logged, the agent
 * keeps its routes and its config, and reads the kernel again until it works. The compiled
 * agent as a process, with a stand-in `ip` on PATH: no root, no network.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';

jest.setTimeout(60_000);

const work = mkdtempSync(join(tmpdir(), 'rdnbrd-reload-'));
const dist = join(work, 'dist');
const bin = join(work, 'bin');
const failFlag = join(work, 'neigh-fails');
let agent: ChildProcess | undefined;

beforeAll(() => {
  const files = readdirSync('src/rdnbrd').filter((f) => f.endsWith('.ts')).map((f) => join('src/rdnbrd', f));
  execFileSync(process.execPath, [
    'node_modules/typescript/bin/tsc', '--outDir', dist, '--rootDir', 'src/rdnbrd', '--target', 'ES2022',
    '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--strict', '--skipLibCheck', '--types', 'node', ...files,
  ]);
  execFileSync('mkdir', ['-p', bin]);
  // monitor: silent forever; batch: swallows commands; dumps: empty, but neigh show fails while the flag exists
  writeFileSync(
    join(bin, 'ip'),
    `#!/bin/sh
case "$*" in
  *monitor*) exec sleep 600 ;;
  *-batch*) exec cat >/dev/null ;;
  *"neigh show"*) if [ -e ${failFlag} ]; then echo 'Cannot send dump request: Connection refused' >&2; exit 1; fi ;;
esac
exit 0
`,
    { mode: 0o755 },
  );
});

afterEach(() => rmSync(failFlag, { force: true }));

afterAll(() => {
  if (agent && agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean, ms: number, log: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agent said:\n${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The compiled agent in the foreground with the stand-in `ip`; its stderr (the log) gathered. */
function startAgent(args: string[]): { child: ChildProcess; out: () => string; exit: () => number | string | null } {
  const child = spawn(process.execPath, [join(dist, 'main.js'), ...args, '--foreground'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  agent = child;
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  let exit: number | string | null = null;
  child.on('exit', (code, signal) => (exit = code ?? signal));
  return { child, out: () => out, exit: () => exit };
}

test('a failed resync on SIGHUP is logged and retried; the agent stays up', async () => {
  const conf = join(work, 'rdnbrd.conf');
  writeFileSync(conf, 'keepalive = 1\nholdtime = 3\nroute_table = 10\n');
  const child = spawn(process.execPath, [join(dist, 'main.js'), '--config', conf, '--foreground'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  agent = child;
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let exit: number | string | null = null;
  child.on('exit', (code, signal) => (exit = code ?? signal));
  const log = () => out;
  const reconciled = () => out.match(/reconciled:/g)?.length ?? 0;

  await until('the first reconcile', () => reconciled() === 1, 15_000, log);
  writeFileSync(conf, 'keepalive = 2\nholdtime = 6\nroute_table = 10\n');
  writeFileSync(failFlag, '');
  child.kill('SIGHUP');
  await until('the failure logged', () => /ERROR .*resync failed.*Connection refused/.test(out), 5000, log);
  await new Promise((r) => setTimeout(r, 1500));
  expect(exit).toBeNull(); // still running
  expect(out).toContain('keepalive 2s holdtime 6s'); // the new config took
  rmSync(failFlag);
  await until('a retry that reconciles', () => reconciled() === 2, 10_000, log);
  child.kill('SIGTERM');
  await until('exit', () => exit !== null, 5000, log);
  expect(exit).toBe(0);
  expect(existsSync(failFlag)).toBe(false);
});

test('its pid file and log are its owner\'s alone (0600)', async () => {
  const conf = join(work, 'quiet.conf');
  writeFileSync(conf, 'keepalive = 1\nholdtime = 3\nroute_table = 10\n');
  const pidfile = join(work, 'rdnbrd.pid');
  const logfile = join(work, 'rdnbrd.log');
  const child = spawn(process.execPath, [join(dist, 'main.js'), '--config', conf, '--foreground', '--pidfile', pidfile, '--logfile', logfile], {
    stdio: 'ignore',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  agent = child;
  let exit: number | string | null = null;
  child.on('exit', (code, signal) => (exit = code ?? signal));
  const log = () => (existsSync(logfile) ? readFileSync(logfile, 'utf8') : '');
  await until('the first reconcile', () => log().includes('reconciled:'), 15_000, log);
  expect([statSync(pidfile).mode & 0o777, statSync(logfile).mode & 0o777]).toEqual([0o600, 0o600]);
  child.kill('SIGTERM');
  await until('exit', () => exit !== null, 5000, log);
});

test('a SIGHUP while it starts (the pid file already names it) is applied once started, not fatal', async () => {
  const conf = join(work, 'early.conf');
  writeFileSync(conf, 'keepalive = 1\nholdtime = 3\nroute_table = 10\n');
  const { child, out, exit } = startAgent(['--config', conf]);
  await until('it starts', () => out().includes('INFO starting'), 15_000, out);
  writeFileSync(conf, 'keepalive = 2\nholdtime = 6\nroute_table = 10\n');
  child.kill('SIGHUP'); // the monitor's subscribe grace alone keeps start() busy 100 ms
  await until('the reload', () => /SIGHUP: reloaded[\s\S]*keepalive 2s holdtime 6s/.test(out()), 10_000, out);
  expect(exit()).toBeNull();
  expect(out().indexOf('reconciled:')).toBeLessThan(out().indexOf('SIGHUP: reloaded'));
  child.kill('SIGTERM');
  await until('exit', () => exit() !== null, 5000, out);
  expect(exit()).toBe(0);
});

// The agent before it was killed is a zombie until its parent reaps it (seconds, on a box whose init
// reaps late): `kill -0` answers for it, and the new agent refused to start, "already running".
test('a pid file naming a killed agent not reaped yet (a zombie) does not stop a new one', async () => {
  const conf = join(work, 'zombie.conf');
  writeFileSync(conf, 'keepalive = 1\nholdtime = 3\nroute_table = 10\n');
  const zpid = join(work, 'zpid');
  const parent = spawn('/bin/sh', ['-c', `sh -c 'sleep 0.3 & echo $! > ${zpid}; exec sleep 30'`], { stdio: 'ignore' });
  try {
    let zombie = 0;
    await until('a zombie', () => {
      const pid = existsSync(zpid) ? Number(readFileSync(zpid, 'utf8')) : 0;
      if (pid && existsSync(`/proc/${pid}/stat`) && / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) zombie = pid;
      return zombie > 0;
    }, 5000, () => '');
    const pidfile = join(work, 'zombie.pid');
    writeFileSync(pidfile, `${zombie}\n`);
    const { child, out, exit } = startAgent(['--config', conf, '--pidfile', pidfile]);
    await until('the first reconcile', () => out().includes('reconciled:') || exit() !== null, 15_000, out);
    expect(out()).not.toContain('already running');
    expect(readFileSync(pidfile, 'utf8').trim()).toBe(String(child.pid));
    child.kill('SIGTERM');
    await until('exit', () => exit() !== null, 5000, out);
  } finally {
    parent.kill('SIGKILL');
  }
});
