/**
 * A drill's limits tightened past what one of its runs measured: every `loss_window.max`
 * whose flows lost something, every `green.within`, and every check's `within` that held only
 * after its first attempt, each set to half the figure that run measured (what cannot go below
 * the figure, a `max: 0` that measured 0, is left as it is and said so). The text is edited at
 * each value's place only, so every line keeps its number: `drill --judge` of the run against
 * the copy must fail, exit 1, naming exactly the lines tightened.
 */
import { isScalar, parseDocument, type Scalar } from 'yaml';
import type { DrillReport } from 'cldemo/bench';

export interface Tightened {
  text: string;
  /** the lines whose limit was set below what was measured (a step's or an expectation's first line, as the report names it) */
  lines: number[];
  /** the limits left as they were, and why */
  left: string[];
}

/** Seconds, written so that the limit is below `ms`. */
const half = (ms: number) => (ms / 2000).toFixed(4);

export function tightenDrill(text: string, report: Pick<DrillReport, 'steps' | 'expectations' | 'green'>): Tightened {
  const doc = parseDocument(text);
  const edits: Array<{ at: [number, number]; value: string }> = [];
  const lines = new Set<number>();
  const left: string[] = [];
  const set = (path: (string | number)[], ms: number, line: number, what: string) => {
    const node = doc.getIn(path, true);
    if (!isScalar(node) || !(node as Scalar).range) return void left.push(`line ${line}: ${what}: no value to change`);
    if (Number.isNaN(ms)) return void left.push(`line ${line}: ${what}: the run gave no figure`);
    if (!(ms > 0)) return void left.push(`line ${line}: ${what}: measured 0, nothing below it`);
    const [start, end] = (node as Scalar).range!;
    edits.push({ at: [start, end], value: half(ms) });
    lines.add(line);
  };
  report.expectations.forEach((e, i) => {
    if (doc.hasIn(['expect', i, 'green'])) {
      if (report.green.ok && report.green.ms !== null) set(['expect', i, 'green', 'within'], report.green.ms, e.line, 'green');
      else left.push(`line ${e.line}: green: never green`);
    } else if (doc.hasIn(['expect', i, 'loss_window'])) {
      set(['expect', i, 'loss_window', 'max'], measuredMs(e.measured), e.line, 'loss window');
    }
  });
  report.steps.forEach((s, i) => {
    if (s.kind !== 'check' || s.took_ms === null || s.took_ms === undefined) return;
    if (doc.hasIn(['steps', i, 'within'])) set(['steps', i, 'within'], s.took_ms, s.line, `check ${s.step}`);
    else left.push(`line ${s.line}: check ${s.step}: no within to change`);
  });
  let out = text;
  for (const { at, value } of edits.sort((a, b) => b.at[0] - a.at[0])) out = out.slice(0, at[0]) + value + out.slice(at[1]);
  return { text: out, lines: [...lines].sort((a, b) => a - b), left };
}

/** What the report says a loss-window expectation measured (`0.90 s (leaf01 > ...)`, `0 s (not one ...)`), in ms; NaN when it says no number. */
function measuredMs(words: string): number {
  const m = /^([\d.]+) s\b/.exec(words);
  return m ? Number(m[1]) * 1000 : NaN;
}
