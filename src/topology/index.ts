/** The topology pipeline: read (positions kept) -> schema -> rules -> plan. */
import { TopologyError } from '../errors.js';
import { parseRaw, readSource } from './load.js';
import { runRules } from './rules.js';
import type { RawTopology } from './schema.js';

export type { Plan } from './types.js';

/** Reads and checks a topology; throws one TopologyError listing every problem. */
export function loadTopology(file: string, text?: string | Uint8Array): RawTopology {
  const src = readSource(file, text);
  const raw = parseRaw(src);
  const problems = runRules(raw, src);
  if (problems.length) throw new TopologyError(problems);
  return raw;
}
