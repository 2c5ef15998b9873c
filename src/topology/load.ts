/**
 * Reads topology.yaml keeping every node's position, so that schema and rule problems
 * can name file:line:column.
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { TopologyError, type Problem } from '../errors.js';
import { topologySchema, type RawTopology } from './schema.js';

export type Path = (string | number)[];

export interface Source {
  file: string;
  doc: Document;
  lines: LineCounter;
}

/** Position of the value at `path`, or of its nearest existing parent. `key` points at the map key instead. */
export function positionOf(src: Source, path: Path, key = false): { line: number; col: number } {
  let node: unknown = src.doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      offset = rangeStart(key && step === path[path.length - 1] ? pair.key : pair.value ?? pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number' && step < node.items.length) {
      node = node.items[step];
      offset = rangeStart(node) ?? offset;
    } else break;
  }
  const { line, col } = src.lines.linePos(offset);
  return { line, col };
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0];
}

export function problemAt(src: Source, path: Path, message: string, hint?: string, key = false): Problem {
  return { file: src.file, ...positionOf(src, path, key), message, hint };
}

/** Parses YAML; syntax errors (all of them) become one TopologyError. */
export function readSource(file: string, text?: string): Source {
  let body = text;
  if (body === undefined) {
    try {
      body = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new TopologyError([
        { file, line: 0, col: 0, message: code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`, hint: code === 'ENOENT' ? 'pass -t FILE or run from the folder holding topology.yaml' : undefined },
      ]);
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(body, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const src: Source = { file, doc, lines };
  if (doc.errors.length > 0) {
    // after the first syntax error the parser's later complaints are mostly its echoes
    throw new TopologyError(
      doc.errors.slice(0, 1).map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        const near = /^[^\s:,{}[\]]{1,40}/.exec(body!.slice(e.pos[0]))?.[0];
        const token = near ? ` at '${near}'` : '';
        return { file, line, col, message: `YAML syntax: ${firstLine(e.message)}${token}` };
      }),
    );
  }
  return src;
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/** Structure check with zod; every issue becomes a positioned problem. */
export function parseRaw(src: Source): RawTopology {
  const data = src.doc.toJS() ?? {};
  const result = topologySchema.safeParse(data);
  if (result.success) return result.data;
  throw new TopologyError(result.error.issues.map((i) => zodProblem(src, i, data)));
}

function zodProblem(src: Source, issue: z.core.$ZodIssue, data: unknown): Problem {
  const path = issue.path as Path;
  const where = path.length ? path.join('.') : 'top level';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys;
      return problemAt(src, [...path, keys[0]], `${where}: unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}`, 'check the spelling against the README', true);
    }
    case 'invalid_type': {
      const got = valueAt(data, path);
      if (got === undefined) return problemAt(src, path, `${where}: missing required key`, `add '${String(path[path.length - 1])}'`);
      return problemAt(src, path, `${where}: expected ${issue.expected}, got ${describe(got)}`);
    }
    case 'invalid_value':
      return problemAt(src, path, `${where}: ${JSON.stringify(valueAt(data, path))} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`);
    case 'invalid_union':
      return problemAt(src, path, `${where}: ${unionHint(path)}, got ${describe(valueAt(data, path))}`);
    case 'too_small':
    case 'too_big':
      return problemAt(src, path, `${where}: ${JSON.stringify(valueAt(data, path))} ${issue.message.replace(/^Too (small|big): expected \w+ to (have )?/, 'must be ')}`);
    default:
      return problemAt(src, path, `${where}: ${issue.message}`);
  }
}

function unionHint(path: Path): string {
  if (path[0] === 'links') return "expected a link '[nodeA:port, nodeB:port]' or '{ endpoints: [..], mtu: N }'";
  if (path.includes('containers')) return "expected a container IP or '{ ip: ..., image: ... }'";
  return 'unexpected value';
}

function valueAt(data: unknown, path: Path): unknown {
  let v: unknown = data;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}
