/** The one reader of /proc/PID/stat (proc(5)): the fields cldemo and its bench use. */
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** R, S, D, Z, ... */
  state: string;
  ppid: number;
  /** CPU time in user and kernel mode, in clock ticks (USER_HZ) */
  utime: number;
  stime: number;
  /** start time in clock ticks since boot: a PID the kernel gave to another process since has another */
  start: string;
}

/** The process's stat; undefined when there is no such process (or it cannot be read). */
export function readProcStat(pid: number | string): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces and parentheses: the fields after it start after the last ')'
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), start: f[19] };
}
