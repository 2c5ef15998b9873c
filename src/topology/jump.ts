/**
 * A jump host as ssh(1) writes it (`-J`, `ProxyJump`): `[user@]host[:port]`, or the
 * `ssh://[user@]host[:port]` form. One hop: cldemo opens one connection to the bastion.
 */

export interface JumpHost {
  user?: string;
  host: string;
  port?: number;
}

const HOST = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** The parsed jump host, or null when `spec` is not one `[user@]host[:port]`. */
export function parseJump(spec: string): JumpHost | null {
  const m = /^(?:ssh:\/\/)?(?:([^@\s:,/]+)@)?(\[[0-9A-Fa-f:.]+\]|[^@\s:,/[\]]+)(?::(\d{1,5}))?$/.exec(spec.trim());
  if (!m) return null;
  const host = m[2].replace(/^\[(.*)\]$/, '$1');
  if (!m[2].startsWith('[') && !HOST.test(host)) return null;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  return { ...(m[1] ? { user: m[1] } : {}), host, ...(port ? { port } : {}) };
}

export function formatJump(j: JumpHost): string {
  const host = j.host.includes(':') ? `[${j.host}]` : j.host;
  return `${j.user ? `${j.user}@` : ''}${host}${j.port ? `:${j.port}` : ''}`;
}
