/**
 * rdnbrd entry point, for `cldemo rdnbrd ...` (runRdnbrd) and for a switch that has
 * only Node: `node dist/rdnbrd/main.js --config /etc/rdnbrd.conf`. Imports nothing
 * but Node built-ins and this folder, so dist/rdnbrd/ can be copied alone.
 *
 * Signals: SIGTERM/SIGINT withdraw every route and exit 0; SIGHUP rereads the config;
 * SIGUSR1 exits 0 leaving the routes in place, for a restart without a gap.
 */
import { existsSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG, loadConfig, type RdnbrdConfig } from './config.js';
import { closeInheritedFds, spawnDaemon, tellParent } from './daemon.js';
import { LineLogger } from './log.js';
import { RdnbrdService } from './service.js';

export const DEFAULT_CONFIG_FILE = '/etc/rdnbrd.conf';
const DAEMON_PIDFILE = '/run/rdnbrd.pid';
const DAEMON_LOGFILE = '/var/log/rdnbrd.log';

const USAGE = `usage: rdnbrd [--config FILE] [--foreground] [--pidfile FILE] [--logfile FILE]
  --config FILE   rdnbrd.conf (default ${DEFAULT_CONFIG_FILE})
  --foreground    stay attached; log to stderr unless --logfile
  --pidfile FILE  default ${DAEMON_PIDFILE} when daemonized
  --logfile FILE  default ${DAEMON_LOGFILE} when daemonized
config keys: loglevel keepalive holdtime route_table unicast_arp_requests debug_arp,
  exclude_interfaces (default eth0, the management port; lo is always excluded), and
  expected_neighbors = PORT:IP,IP ... (addresses to ask for by broadcast ARP until they answer)`;

interface Options {
  configFile?: string;
  foreground: boolean;
  daemonChild: boolean;
  pidfile?: string;
  logfile?: string;
}

export async function runRdnbrd(argv: string[]): Promise<number> {
  let opts: Options;
  let cfg: RdnbrdConfig;
  try {
    opts = parseOptions(argv);
    if (opts === HELP) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    cfg = readConfig(opts.configFile);
  } catch (err) {
    process.stderr.write(`rdnbrd: ${(err as Error).message}\n`);
    if (err instanceof ConfigError || err instanceof UsageError) return 2;
    return 1;
  }
  if (!opts.foreground && !opts.daemonChild) {
    return spawnDaemon(mainScript(), [...argv, '--daemon-child'], (m) => process.stderr.write(`rdnbrd: ${m}\n`));
  }
  return runAgent(opts, cfg);
}

async function runAgent(opts: Options, cfg: RdnbrdConfig): Promise<number> {
  // a daemon holds none of its starter's descriptors (nor do the ip processes it starts)
  if (opts.daemonChild) closeInheritedFds();
  const pidfile = opts.pidfile ?? (opts.daemonChild ? DAEMON_PIDFILE : undefined);
  const logger = new LineLogger(cfg.loglevel, opts.logfile ?? (opts.daemonChild ? DAEMON_LOGFILE : undefined));
  const service = new RdnbrdService(cfg, opts.configFile ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined), logger);
  // the pidfile names us before start() ends: a SIGHUP sent then (a deployer seeing the new
  // pid) must not kill us with its default action; it is applied once started
  let hupDuringStart = false;
  const earlyHup = () => (hupDuringStart = true);
  process.on('SIGHUP', earlyHup);
  try {
    claimPidfile(pidfile);
    logger.log('INFO', `starting (config ${opts.configFile ?? DEFAULT_CONFIG_FILE})`);
    await service.start();
  } catch (err) {
    const message = (err as Error).message;
    logger.log('CRITICAL', message);
    tellParent({ error: message });
    await service.stop(true).catch(() => undefined);
    await logger.close();
    return 1;
  }
  tellParent({ ready: true, pid: process.pid });
  const stopped = untilStopSignal(service, logger);
  process.off('SIGHUP', earlyHup);
  if (hupDuringStart) process.emit('SIGHUP', 'SIGHUP');
  const exitCode = await stopped;
  releasePidfile(pidfile);
  await logger.close();
  return exitCode;
}

function untilStopSignal(service: RdnbrdService, logger: LineLogger): Promise<number> {
  return new Promise((resolve) => {
    const handlers: Array<[NodeJS.Signals, () => void]> = [
      ['SIGTERM', () => stop('SIGTERM', true)],
      ['SIGINT', () => stop('SIGINT', true)],
      ['SIGUSR1', () => stop('SIGUSR1', false)],
      ['SIGHUP', () => void service.reload().catch((err) => logger.log('ERROR', `SIGHUP: ${(err as Error).message}`))],
    ];
    const stop = (signal: NodeJS.Signals, withdraw: boolean) => {
      logger.log('INFO', `${signal}: stopping`);
      for (const [sig, handler] of handlers) process.off(sig, handler);
      service.stop(withdraw).then(
        () => resolve(0),
        (err) => {
          logger.log('ERROR', `stop failed: ${(err as Error).message}`);
          resolve(1);
        },
      );
    };
    for (const [sig, handler] of handlers) process.on(sig, handler);
  });
}

class UsageError extends Error {}

/** Another agent holds the pidfile (exit 1); the agent stays free of cldemo's errors.ts to ship alone. */
class AlreadyRunning extends Error {}
const HELP = {} as Options;

function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        foreground: { type: 'boolean', short: 'f' },
        pidfile: { type: 'string' },
        logfile: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        'daemon-child': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) return HELP;
  return {
    configFile: values.config,
    foreground: values.foreground ?? false,
    daemonChild: values['daemon-child'] ?? false,
    pidfile: values.pidfile,
    logfile: values.logfile,
  };
}

/** An explicit file must exist; a switch without /etc/rdnbrd.conf runs on the defaults. */
function readConfig(file: string | undefined): RdnbrdConfig {
  if (file) return loadConfig(file);
  if (existsSync(DEFAULT_CONFIG_FILE)) return loadConfig(DEFAULT_CONFIG_FILE);
  return { ...DEFAULT_CONFIG };
}

function claimPidfile(pidfile: string | undefined): void {
  if (!pidfile) return;
  if (existsSync(pidfile)) {
    const other = Number(readFileSync(pidfile, 'utf8').trim());
    if (other > 0 && other !== process.pid && isRunning(other)) {
      throw new AlreadyRunning(`already running as pid ${other} (${pidfile})`);
    }
  }
  writeFileSync(pidfile, `${process.pid}\n`, { mode: 0o600 });
}

function releasePidfile(pidfile: string | undefined): void {
  if (!pidfile || !existsSync(pidfile)) return;
  if (readFileSync(pidfile, 'utf8').trim() === String(process.pid)) unlinkSync(pidfile);
}

/** A process that runs: a killed one its parent has not reaped yet (a zombie) does not. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `PID (COMM) STATE ...`: COMM may hold spaces and parentheses, the state follows the last `)`
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc here: kill -0 is all there is to go by
  }
}

function mainScript(): string {
  return fileURLToPath(import.meta.url);
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(mainScript());
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  runRdnbrd(process.argv.slice(2)).then((code) => process.exit(code));
}
