/**
 * One run at a time: the lock file, its holder, a stale lock taken over, and the CLI refusing
 * a second `up` while another holds the topology (no lab needed: the lock comes first).
 * Fabric locks in the user's own directory ($XDG_RUNTIME_DIR/cldemo, else ~/.cache/cldemo),
 * lab locks with the lab state (CLDEMO_STATE_DIR here).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, LockedError, lockPath, lockDir } from '../../src/lock.js';
import { readProcStat } from '../../src/proc-stat.js';
import { labStateDir } from '../../src/lab/state.js';
import { TOPONAME } from '../../src/topology/rules.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
/** what the CLI runs with: this test's lab state and user runtime directories */
let env: Record<string, string>;
const saved = { CLDEMO_STATE_DIR: process.env.CLDEMO_STATE_DIR, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR, HOME: process.env.HOME };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cldemo-lock-'));
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  env = { CLDEMO_STATE_DIR: join(dir, 'state'), XDG_RUNTIME_DIR: join(dir, 'run') };
  Object.assign(process.env, env);
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

function startOf(pid: number): string {
  return readProcStat(pid)!.start;
}

function holdBy(child: ChildProcess, command = 'cldemo up -t topology.yaml', since = '2026-11-29T12:00:00.000Z'): void {
  mkdirSync(lockDir('fabric'), { recursive: true });
  writeFileSync(lockPath('cldemo', 'fabric'), JSON.stringify({ pid: child.pid, start: startOf(child.pid!), host: hostname(), command, since }));
}

describe('the run lock', () => {
  test('taken, refused to a second taker naming the holder, released', () => {
    const lock = acquireLock('cldemo', 'fabric', 'cldemo up');
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, command: 'cldemo up' });
    expect(() => acquireLock('cldemo', 'fabric')).toThrow(LockedError);
    expect(() => acquireLock('cldemo', 'fabric')).toThrow(new RegExp(`lock.*pid ${process.pid} \\(cldemo up\\) since 20`));
    // another topology, and this topology's lab, have locks of their own
    acquireLock('other', 'fabric').release();
    acquireLock('cldemo', 'lab').release();
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    acquireLock('cldemo', 'fabric').release();
  });

  test("a dead holder's lock is taken over", () => {
    const dead = spawnSync('true');
    expect(dead.pid).toBeGreaterThan(0);
    mkdirSync(lockDir('fabric'), { recursive: true });
    writeFileSync(lockPath('cldemo', 'fabric'), JSON.stringify({ pid: dead.pid, start: '1', host: hostname(), command: 'cldemo up', since: 'then' }));
    const lock = acquireLock('cldemo', 'fabric');
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  test('a live pid that is not the holder (the pid was reused) does not keep the lock', () => {
    mkdirSync(lockDir('fabric'), { recursive: true });
    writeFileSync(lockPath('cldemo', 'fabric'), JSON.stringify({ pid: process.pid, start: '1', host: hostname(), command: 'cldemo up', since: 'then' }));
    acquireLock('cldemo', 'fabric').release();
  });

  test('an empty lock file (its run killed between create and write) is taken over', () => {
    mkdirSync(lockDir('fabric'), { recursive: true });
    writeFileSync(lockPath('cldemo', 'fabric'), '');
    acquireLock('cldemo', 'fabric').release();
  });

  test('cldemo up while another run holds the topology: exit 1 at once, naming pid, command and since', async () => {
    const holder = spawn('sleep', ['30']);
    try {
      holdBy(holder);
      const started = Date.now();
      const r = runCli(['up', '-t', 'topology.yaml'], { env });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`topology cldemo is locked by another run: pid ${holder.pid} \\(cldemo up -t topology.yaml\\) since 2026-11-29T12:00:00.000Z`));
      // read-only commands never wait for it (plan needs no nodes; up --dry-run asks no lock)
      expect(runCli(['plan', '-t', 'topology.yaml'], { env }).code).toBe(0);
    } finally {
      holder.kill();
    }
    await new Promise((r) => holder.once('exit', r));
    // the holder is gone: its lock is stale and the next run would take it
    const lock = acquireLock('cldemo', 'fabric');
    lock.release();
  });

  test('cldemo down and ping-sweep --subnet are refused too; lab up/down by the lab lock', async () => {
    const holder = spawn('sleep', ['30']);
    try {
      holdBy(holder, 'cldemo down');
      for (const args of [['down'], ['ping-sweep', '--subnet']]) {
        const r = runCli([...args, '-t', 'topology.yaml'], { env });
        expect([args, r.code]).toEqual([args, 1]);
        expect(r.stderr).toMatch(new RegExp(`lock.*pid ${holder.pid} \\(cldemo down\\)`));
      }
      mkdirSync(lockDir('lab'), { recursive: true });
      writeFileSync(lockPath('cldemo', 'lab'), JSON.stringify({ pid: holder.pid, start: startOf(holder.pid!), host: hostname(), command: 'cldemo lab up', since: 'now' }));
      // only lab down here: a broken lock must not let this test build a lab outside the lab lock
      if (process.getuid?.() === 0) {
        for (const args of [['lab', 'down']]) {
          const r = runCli([...args, '-t', 'topology.yaml'], { env });
          expect([args, r.code]).toEqual([args, 1]);
          expect(r.stderr).toMatch(new RegExp(`lab cldemo is locked by another run: pid ${holder.pid} \\(cldemo lab up\\)`));
        }
      }
    } finally {
      holder.kill();
    }
  });
});

test('the lab lock directory is no lab\'s state directory, whatever the topology is named', () => {
  const name = lockDir('lab').slice(env.CLDEMO_STATE_DIR.length + 1);
  expect(TOPONAME.test(name)).toBe(false); // no topology can be called that
  expect(lockDir('lab')).not.toBe(labStateDir('locks'));
});

describe('where the locks live (an operator is rarely root)', () => {
  const mode = (p: string) => statSync(p).mode & 0o777;

  test('a fabric lock in $XDG_RUNTIME_DIR/cldemo, a lab lock with the lab state; 0700 directories, 0600 files', () => {
    const fabric = acquireLock('cldemo', 'fabric');
    const lab = acquireLock('cldemo', 'lab');
    try {
      expect(fabric.path).toBe(join(dir, 'run', 'cldemo', 'cldemo.fabric.lock'));
      expect(lab.path).toBe(join(dir, 'state', '.locks', 'cldemo.lab.lock'));
      expect([mode(join(dir, 'run', 'cldemo')), mode(fabric.path), mode(join(dir, 'state', '.locks')), mode(lab.path)]).toEqual([0o700, 0o600, 0o700, 0o600]);
    } finally {
      fabric.release();
      lab.release();
    }
  });

  test('without a runtime directory of its own (unset, or another user\'s), ~/.cache/cldemo', () => {
    process.env.HOME = join(dir, 'home');
    delete process.env.XDG_RUNTIME_DIR;
    expect(lockPath('cldemo', 'fabric')).toBe(join(dir, 'home', '.cache', 'cldemo', 'cldemo.fabric.lock'));
    if (process.getuid?.() === 0) {
      // a root shell's runtime directory is not another user's, and vice versa: owned by someone else
      mkdirSync(join(dir, 'theirs'));
      spawnSync('chown', ['65534', join(dir, 'theirs')]);
      process.env.XDG_RUNTIME_DIR = join(dir, 'theirs');
      expect(lockPath('cldemo', 'fabric')).toBe(join(dir, 'home', '.cache', 'cldemo', 'cldemo.fabric.lock'));
    }
    const lock = acquireLock('cldemo', 'fabric');
    expect(mode(join(dir, 'home', '.cache', 'cldemo'))).toBe(0o700);
    lock.release();
  });

  test('a lock directory that cannot be made: one line naming it and why, exit 1', () => {
    writeFileSync(join(dir, 'a-file'), '');
    const r = runCli(['up', '-t', 'topology.yaml'], { env: { ...env, XDG_RUNTIME_DIR: '', HOME: join(dir, 'a-file') } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: cannot create the lock directory ${join(dir, 'a-file', '.cache', 'cldemo')}: a part of that path is not a directory (HOME is ${join(dir, 'a-file')}; set XDG_RUNTIME_DIR or HOME to a directory of your own)`);
  });
});
