/**
 * What `up` and `down` did to a node (or, in a dry run, would do), as typed records. The
 * fabric returns them; the command layer words them (src/summary.ts): one line each for
 * --verbose, --json `changes` and progress, and one short summary per node. An action is
 * named in the present (`create`); the words put it in the past or, in a dry run, the
 * conditional.
 */

export type Change =
  /** a config file's new content was installed (checked on the node, the old one kept) */
  | { type: 'install'; path: string }
  /** a file an earlier run installed but stopped before applying: applied now */
  | { type: 'apply-pending'; path: string }
  /** one of the platform's apply steps ran (a reload, a restart, a commit) */
  | { type: 'apply'; step: string; command: string; summary: string }
  /** down --purge-config put the pre-cldemo file back */
  | { type: 'restore'; path: string }
  /** cldemo's own agent was uploaded to `dir` */
  | { type: 'agent'; action: 'upload'; dir: string }
  /** the redistribute-neighbor agent was started, restarted, told to reread its config, or stopped */
  | { type: 'agent'; action: 'start' | 'restart' | 'reload' | 'stop' }
  | { type: 'network'; action: 'create' | 'recreate' | 'remove'; name: string }
  /** `stale`: a container of this topology that the topology no longer has */
  | { type: 'container'; action: 'create' | 'recreate' | 'start' | 'remove'; name: string; stale?: true };
