/**
 * A throwaway dockerd in its own network and mount namespaces, for proving the Apache
 * image end to end (tests, bench/) without touching the host's engine or network.
 * Its overlay mounts live in the private mount namespace, so they vanish with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../concurrency.js';
import { OperationError } from '../../errors.js';
import { localDocker } from '../../transport/docker.js';
import type { DockerEngine } from '../../transport/docker-engine.js';
import { removeCgroups } from '../processes.js';
import { run, type Outcome } from '../run.js';

export interface ScratchEngine {
  netns: string;
  dir: string;
  socketPath: string;
  pid: number;
  docker: DockerEngine;
  /** Run a program in the engine's network namespace (where `--network host` containers listen). */
  inNetns(cmd: string, args: string[]): Promise<Outcome>;
  stop(): Promise<void>;
}

/** `prefix` must be unique to the caller: other people's namespaces share the host. */
export async function startScratchEngine(prefix: string): Promise<ScratchEngine> {
  const netns = `${prefix}-${process.pid}-${randomBytes(2).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), `${netns}-`));
  await run('ip', ['netns', 'add', netns]);
  let child: ChildProcess | undefined;
  try {
    await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    child = spawnDockerd(netns, dir);
    const engine = scratchEngine(netns, dir, child);
    await waitForEngine(engine, child);
    return engine;
  } catch (err) {
    await teardown(netns, dir, child);
    throw err;
  }
}

function spawnDockerd(netns: string, dir: string): ChildProcess {
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  // dockerd 20.10 writes /etc/docker/key.json unless told otherwise: keep the host's /etc clean;
  // and its containers go under /docker (the host's own Docker's cgroup) unless given a parent
  const config = join(dir, 'daemon.json');
  writeFileSync(config, `${JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json'), 'cgroup-parent': `/${netns}` })}\n`);
  // nsenter and unshare both exec, so the child's PID is dockerd's.
  const child = spawn('nsenter', [
    `--net=/run/netns/${netns}`, 'unshare', '--mount', '--propagation', 'private',
    'dockerd',
    '--config-file', config,
    '--data-root', join(dir, 'data'),
    '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'dockerd.pid'),
    '-H', `unix://${join(dir, 'docker.sock')}`,
    '--bridge=none', '--iptables=false', '--ip6tables=false',
  ], { stdio: ['ignore', log, log] });
  closeSync(log);
  return child;
}

function scratchEngine(netns: string, dir: string, child: ChildProcess): ScratchEngine {
  const socketPath = join(dir, 'docker.sock');
  return {
    netns,
    dir,
    socketPath,
    pid: child.pid!,
    docker: localDocker(netns, socketPath),
    inNetns: (cmd, args) => run('nsenter', [`--net=/run/netns/${netns}`, cmd, ...args]),
    stop: () => teardown(netns, dir, child),
  };
}

async function waitForEngine(engine: ScratchEngine, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) break;
    if (await engine.docker.ping().then(() => true, () => false)) return;
    await sleep(100);
  }
  const log = await readFile(join(engine.dir, 'dockerd.log'), 'utf8').catch(() => '');
  throw new OperationError(`scratch dockerd in ${engine.netns} did not answer: ${log.trim().split('\n').slice(-3).join(' | ')}`);
}

/** Containers first (so dockerd exits at once), then dockerd, its containerd, the netns, the dir. */
async function teardown(netns: string, dir: string, child: ChildProcess | undefined): Promise<void> {
  if (child && child.exitCode === null && child.signalCode === null) {
    const docker = localDocker(netns, join(dir, 'docker.sock'));
    const containers = await docker.listContainers().catch(() => []);
    await Promise.all(containers.map((c) => docker.removeContainer(c.id).catch(() => {})));
    await stopProcess(child);
  }
  await killOurContainerd(dir);
  removeCgroups([netns]);
  await run('ip', ['netns', 'del', netns]).catch(() => {});
  await rm(dir, { recursive: true, force: true });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

/**
 * A containerd left behind only if dockerd died hard. Its pidfile is in our dir, and its
 * command line names our dir, so a recycled PID is never someone else's process.
 */
async function killOurContainerd(dir: string): Promise<void> {
  const pid = Number(await readFile(join(dir, 'exec/containerd/containerd.pid'), 'utf8').catch(() => ''));
  const ours = () => readFile(`/proc/${pid}/cmdline`, 'utf8').then((c) => c.includes(dir), () => false);
  if (!(pid > 0) || !(await ours())) return;
  process.kill(pid, 'SIGTERM');
  for (let attempt = 0; attempt < 30 && (await ours()); attempt++) await sleep(100);
  if (await ours()) process.kill(pid, 'SIGKILL');
}
