/**
 * What bench/ may use from cldemo, and nothing else: bench/ imports `cldemo/bench`
 * (package.json "exports"), so a rename in src/ breaks the bench at build time.
 */
export { ConnectionPool } from './transport/pool.js';
export { connectNode } from './transport/ssh-connect.js';
export type { NodeConnection } from './transport/node-connection.js';
export { checkHostKey, parseKnownHosts } from './transport/known-hosts.js';
export type { DockerodeEngine } from './transport/docker.js';
export { loadPlan } from './providers.js';
export { DEFAULT_PARALLEL } from './fabric/context.js';
export type { Plan } from './topology/index.js';
export { labDown } from './lab/down.js';
export { labStatus } from './lab/inspect.js';
export { labUp, type LabUpOptions } from './lab/up.js';
export { netnsName } from './lab/names.js';
export { ensureApacheImage, importImage, type ApacheImage } from './lab/image.js';
export { startScratchEngine, type ScratchEngine } from './lab/image/scratch-engine.js';
export { RDNBRD_PROTO } from './rdnbrd/iproute.js';
export { LABEL_TOPOLOGY } from './fabric/labels.js';
export { readProcStat } from './proc-stat.js';
export { CHANGES_MONITOR } from './platforms/frr-show.js';
export { LIVE_STATES, parseMonitorLine, parseStamped, type MonitorObject } from './rdnbrd/ip-lines.js';
export type { DrillReport } from './drill/run.js';
export { linkSet, startAgent } from './faults.js';
export { platformOf } from './platforms/index.js';
