/** A drill once read and checked against its topology: every step and expectation resolved to what it acts on. */
import type { MeasureSettings } from '../measure/session.js';
import type { Impairment } from '../topology/impair.js';

/** What an action is, once resolved; `text` is how the report names it (`node spine01 hang`). */
export type ActionPart =
  | { kind: 'link'; text: string; endpoint: string; action: 'down' | 'up' }
  | { kind: 'node'; text: string; node: string; action: 'down' | 'hang' | 'up' }
  | { kind: 'impair'; text: string; endpoint: string; spec: Impairment }
  | { kind: 'clear'; text: string; endpoint: string }
  | { kind: 'exec'; text: string; node: string; command: string }
  | { kind: 'local'; text: string; command: string }
  | { kind: 'cldemo'; text: string; args: string[] }
  | { kind: 'restart' | 'kill'; text: string; node: string; service: string }
  | { kind: 'wait'; text: string; seconds: number };

/** What a check is: tried again until it holds or `within` seconds have passed (0: once). */
export type CheckPart =
  | { kind: 'routes'; text: string; within: number; on: string[]; present: string[]; absent: string[] }
  | { kind: 'verify'; text: string; within: number }
  | { kind: 'bfd'; text: string; within: number }
  | { kind: 'http'; text: string; within: number; to: { container: string; ip: string }; from: string; reachable: boolean };

/** Where a step is in the file, and what the drill says when it fails. */
interface Placed {
  line: number;
  message?: string;
}

export type ActionStep = ActionPart & Placed;
export type CheckStep = CheckPart & Placed;
export type Step = ActionStep | CheckStep;

/** Which flows of the mesh an expectation looks at. */
export interface FlowFilter {
  /** towards this leaf, or the containers of this server, or this container */
  to?: { leaf?: string; server?: string; container?: string };
  /** from this rack (its leaf and its server), or from this node */
  from?: { leaf?: string; node?: string };
  kind?: 'icmp' | 'http';
}

export type Expectation = { line: number; text: string; message?: string } & (
  | { kind: 'loss_window'; maxMs: number; flows: FlowFilter }
  | { kind: 'green'; withinMs: number }
);

export interface Drill {
  name: string;
  description?: string;
  file: string;
  measure: MeasureSettings;
  steps: Step[];
  expectations: Expectation[];
}

export const isCheck = (s: Step): s is CheckStep => s.kind === 'routes' || s.kind === 'verify' || s.kind === 'http' || s.kind === 'bfd';
