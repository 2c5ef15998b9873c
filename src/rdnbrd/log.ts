/** One timestamped line per event, filtered by the config's loglevel. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { LOG_LEVELS, type LogLevel } from './config.js';

export interface Logger {
  level: LogLevel;
  log(level: LogLevel, message: string): void;
  close(): Promise<void>;
}

export class LineLogger implements Logger {
  private readonly out: NodeJS.WritableStream;
  private readonly file?: WriteStream;

  constructor(public level: LogLevel, logfile?: string) {
    if (logfile) {
      this.file = createWriteStream(logfile, { flags: 'a', mode: 0o600 });
      // An unwritable log must not kill the agent: its routes matter more than its log.
      this.file.on('error', (err) => process.stderr.write(`rdnbrd: log ${logfile}: ${err.message}\n`));
      this.out = this.file;
    } else {
      this.out = process.stderr;
    }
  }

  log(level: LogLevel, message: string): void {
    if (LOG_LEVELS.indexOf(level) > LOG_LEVELS.indexOf(this.level)) return;
    this.out.write(`${new Date().toISOString()} rdnbrd[${process.pid}] ${level} ${message}\n`);
  }

  close(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    return new Promise((resolve) => file.end(() => resolve()));
  }
}

/** Collects lines; for unit tests. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  constructor(public level: LogLevel = 'DEBUG') {}
  log(level: LogLevel, message: string): void {
    if (LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(this.level)) this.lines.push(`${level} ${message}`);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
