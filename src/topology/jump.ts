/**
 * A jump host as ssh(1) writes it (`-J`, `ProxyJump`): `[user@]host[:port]`, or the
 * `ssh://[user@]host[:port]` form; an IPv6 address goes in brackets (`ops@[2001:db8::1]:22`).
 * One hop: cldemo opens one connection to the bastion. The host is judged as a management
 * host is (host.ts).
 */
import { quote } from '../errors.js';
import { judgeHost, type HostProblem } from './host.js';

export interface JumpHost {
  user?: string;
  host: string;
  port?: number;
}

const SYNTAX: HostProblem = { problem: 'is not [user@]host[:port]', hint: 'e.g. cumulus@bastion.example.net:22, or ops@[2001:db8::1]:22' };

/** The parsed jump host, or why `spec` is not one `[user@]host[:port]`. */
export function judgeJump(spec: string): JumpHost | HostProblem {
  const m = /^(?:ssh:\/\/)?(?:([^@\s:,/[\]]+)@)?(\[[^\]]*\]|[^@\s:,/[\]]+)(?::(\d{1,5}))?$/.exec(spec.trim());
  if (!m) {
    const unbracketed = /^(?:ssh:\/\/)?(?:[^@\s:,/[\]]+@)?([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%\w]*)$/.exec(spec.trim());
    return unbracketed ? { problem: 'has an IPv6 address without brackets', hint: `write it as [${unbracketed[1]}], with :port after the bracket if any` } : SYNTAX;
  }
  const host = m[2].replace(/^\[(.*)\]$/, '$1');
  const judged = judgeHost(host);
  if ('problem' in judged) return { problem: `names host ${quote(host)}, which ${judged.problem}`, hint: judged.hint };
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return { problem: `has port ${m[3]}, not one of 1-65535` };
  return { ...(m[1] ? { user: m[1] } : {}), host, ...(port ? { port } : {}) };
}

/** The parsed jump host, or null when `spec` is not one `[user@]host[:port]`. */
export function parseJump(spec: string): JumpHost | null {
  const j = judgeJump(spec);
  return 'problem' in j ? null : j;
}

export function formatJump(j: JumpHost): string {
  const host = j.host.includes(':') ? `[${j.host}]` : j.host;
  return `${j.user ? `${j.user}@` : ''}${host}${j.port ? `:${j.port}` : ''}`;
}
