/**
 * What the rest of cldemo sees of a node: the port that fabric/ and the views are written
 * against. Small on purpose: unit tests fake it; ssh-connection.ts is the real one.
 */
import type { DockerEngine } from './docker-engine.js';

export interface ExecResult {
  code: number; // the command's exit status; -1 when a signal ended it
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  /** the node kills the command (and its children) after this long, and exec throws a NodeError saying so */
  timeoutMs?: number;
}

/** What the rest of cldemo sees of a node. Small on purpose: unit tests fake it. */
export interface NodeConnection {
  readonly node: string;
  /** Runs `command` through the remote user's shell. A non-zero exit is a result, not an error. */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  putFile(content: string | Buffer, remotePath: string, mode?: number): Promise<void>;
  /** The file's content, or null when it does not exist. */
  getFile(remotePath: string): Promise<string | null>;
  /** The node's Docker engine, reached through this connection. */
  docker(socketPath?: string): DockerEngine;
  /**
   * Runs a long-lived command (a monitor) and hands on its output line by line until it
   * exits or `stop` is called. Optional: unit-test fakes of one-shot commands leave it out.
   */
  stream?(command: string, onLine: (line: string) => void): LineStream;
  close(): Promise<void>;
}

export interface LineStream {
  /** the command's exit status once it ends (-1 when stopped or signalled) */
  done: Promise<number>;
  /** ends the command: its terminal hangs up, so the process behind it goes too */
  stop(): void;
}
