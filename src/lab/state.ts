/** Where a lab keeps everything it creates. Dependency-free: the planner imports it. */
import { join } from 'node:path';

export function labStateDir(planName: string): string {
  return join(process.env.CLDEMO_STATE_DIR ?? '/var/lib/cldemo', planName);
}
