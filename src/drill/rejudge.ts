/**
 * `drill --judge`: a recorded run judged again against a drill file (the same drill, its
 * limits changed): what each check took and what the mesh measured are in the record; only
 * the verdicts are new. Nothing touches the fabric.
 */
import { UsageError } from '../errors.js';
import { checkFailure, failedLines, judgeCheck, judgeExpectation } from './judge.js';
import { isCheck, type Drill } from './model.js';
import type { DrillReport, StepOutcome } from './run.js';

export function rejudge(drill: Drill, recorded: DrillReport): DrillReport {
  if (!Array.isArray(recorded.steps) || !recorded.measure || !recorded.green) throw new UsageError('--judge: the file is not a drill report (drill --json)');
  if (recorded.steps.length !== drill.steps.length || recorded.expectations.length !== drill.expectations.length) {
    const there = `${recorded.steps.length} steps and ${recorded.expectations.length} expectations there`;
    throw new UsageError(`--judge: the report is of another drill (${there}, ${drill.steps.length} and ${drill.expectations.length} in ${drill.file})`);
  }
  const steps = drill.steps.map((step, i): StepOutcome => {
    const was = recorded.steps[i];
    if ((was.kind === 'check') !== isCheck(step)) throw new UsageError(`--judge: step ${i + 1} is ${was.step} in the report and ${step.text} in ${drill.file}`);
    const base = { ...was, line: step.line, step: step.text, ...(step.message === undefined ? {} : { message: step.message }) };
    if (!isCheck(step)) return base;
    const o = { held: was.took_ms !== null && was.took_ms !== undefined, took_ms: was.took_ms ?? null, detail: was.detail };
    const ok = judgeCheck(step, o);
    return { ...base, ok, within_s: step.within, ...(ok ? { detail: undefined } : { detail: checkFailure(step, o) }) };
  });
  const expectations = drill.expectations.map((e) => {
    const v = judgeExpectation(e, recorded.measure, recorded.green);
    return { line: e.line, expect: e.text, ok: v.ok, measured: v.measured, ...(e.message === undefined ? {} : { message: e.message }) };
  });
  const failed = failedLines(drill.file, steps, expectations);
  return { ...recorded, drill: drill.name, file: drill.file, ok: failed.length === 0, steps, expectations, failed };
}
