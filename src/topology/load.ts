/**
 * Reads topology.yaml keeping every node's position, so that schema and rule problems
 * can name file:line:column.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Alias, type Document, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { z } from 'zod';
import { quote, TopologyError, type Problem } from '../errors.js';
import { decodeTopology } from './encoding.js';
import { topologyJsonSchema, topologySchema, type RawTopology } from './schema.js';

export type Path = (string | number)[];

export interface Source {
  file: string;
  doc: Document;
  lines: LineCounter;
  /** the text the document was parsed from */
  text: string;
  /** what the file is, for the hints of its problems */
  kind: FileKind;
}

/** What a YAML file cldemo reads is: a topology or a drill (the same reader and the same rules of hostility). */
export interface FileKind {
  noun: string;
  /** how deep a real one nests */
  nests: number;
  /** what to say when there is no such file */
  missing: string;
}

const TOPOLOGY_FILE: FileKind = { noun: 'topology', nests: 5, missing: 'pass -t FILE or run from the folder holding topology.yaml' };

/** Position of the value at `path`, or of its nearest existing parent. `key` points at the map key instead. */
function positionOf(src: Source, path: Path, key = false): { line: number; col: number } {
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

/** The largest topology file read: the 100,000-container one is about 2 MB. */
const MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Deepest nesting of maps and lists (after aliases); a real topology needs 5. */
const MAX_DEPTH = 32;
/** Values the document may hold once aliases are expanded: its own count x 10, plus this. */
const ALIAS_ALLOWANCE = 100_000;

/** Parses YAML; syntax errors (the first), alias bombs and loops, deep nesting become one TopologyError. */
export function readSource(file: string, text?: string | Uint8Array, kind: FileKind = TOPOLOGY_FILE): Source {
  const raw = typeof text === 'string' ? text : text ? decodeTopology(file, text) : readText(file, kind);
  if (raw.length > MAX_FILE_BYTES) throw tooBig(file, raw.length, kind);
  // YAML 1.2 ends a line with LF, CRLF or a lone CR (old Mac files), and reads each as LF;
  // the parser knows only the first two. One for one, so lines and columns stay the file's.
  const body = raw.replace(/\r\n?/g, '\n');
  const nul = body.indexOf('\u0000');
  if (nul >= 0) {
    const message = 'the file holds a NUL character (U+0000), which YAML does not allow';
    throw new TopologyError([{ file, ...textPosition(body, nul), message, hint: 'is it UTF-16 or binary? save it as UTF-8 text' }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(body, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  const src: Source = { file, doc, lines, text: body, kind };
  if (doc.errors.length > 0) {
    // after the first syntax error the parser's later complaints are mostly its echoes
    throw new TopologyError(
      doc.errors.slice(0, 1).map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        if (/call stack/i.test(e.message)) {
          // where the parser ran out of stack depends on the stack: name the line, at its first character
          const indent = /^[ \t]*/.exec(body.slice(e.pos[0] - (col - 1)))![0].length;
          return { file, line, col: indent + 1, message: 'YAML nesting is too deep', hint: `a ${kind.noun} nests at most ${MAX_DEPTH} levels` };
        }
        if (e.code === 'MULTIPLE_DOCS') {
          const hint = `a ${kind.noun} file is one document: remove this '---' (and what follows it, if that is another ${kind.noun})`;
          return { file, line, col, message: 'the file holds a second YAML document, starting here', hint };
        }
        const near = /^[^\s:,{}[\]]{1,40}/.exec(body.slice(e.pos[0]))?.[0];
        const token = near ? ` at ${quote(near)}` : '';
        return { file, line, col, message: `YAML syntax: ${firstLine(e.message)}${token}`, hint: colonEndedAddress(body, e.pos[0]) };
      }),
    );
  }
  const version = unsupportedVersion(src);
  if (version) throw new TopologyError([version]);
  const problem = inspect(src);
  if (problem) throw new TopologyError([problem]);
  return src;
}

/**
 * `%YAML 2.0` (any major version but 1): YAML 1.2 says to refuse it. A later 1.x is read as
 * 1.2, and `%YAML 1.1` as YAML 1.1, as the spec says.
 */
function unsupportedVersion(src: Source): Problem | undefined {
  for (const w of src.doc.warnings) {
    const version = /^Unsupported YAML version (\S+)/.exec(w.message)?.[1];
    if (version && !/^1\./.test(version)) {
      const message = `%YAML ${version}: this file asks for YAML ${version}, and cldemo reads YAML 1.x`;
      return { file: src.file, ...src.lines.linePos(w.pos[0]), message, hint: 'remove the %YAML line, or write %YAML 1.2' };
    }
  }
  return undefined;
}

function readText(file: string, kind: FileKind): string {
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) throw tooBig(file, size, kind);
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof TopologyError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new TopologyError([
      {
        file,
        line: 0,
        col: 0,
        message: code === 'ENOENT' ? 'no such file' : `cannot read: ${code ?? (e as Error).message}`,
        hint: code === 'ENOENT' ? kind.missing : undefined,
      },
    ]);
  }
  return decodeTopology(file, bytes);
}

/** Line and column (in characters) of `offset` in `text`; LF, CRLF and CR each end a line. */
function textPosition(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const breaks = before.match(/\r\n|\r|\n/g)?.length ?? 0;
  const start = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
  return { line: breaks + 1, col: Array.from(before.slice(start)).length + 1 };
}

function tooBig(file: string, size: number, kind: FileKind): TopologyError {
  return new TopologyError([{ file, line: 0, col: 0, message: `file is ${(size / 2 ** 20).toFixed(1)} MB, more than a ${kind.noun} can be (${MAX_FILE_BYTES / 2 ** 20} MB)` }]);
}

/** YAML 1.2's core tags (`!!str 10`, `!!map`), the merge key's and the non-specific `!`: any other is refused. */
const CORE_TAGS = new Set(['!', ...['str', 'int', 'float', 'bool', 'null', 'map', 'seq', 'merge'].map((t) => `tag:yaml.org,2002:${t}`)]);

interface Shape {
  size: number; // values once every alias is expanded
  height: number; // nesting levels below and including this node
}

/**
 * Walks the document once, in order, before anything expands it: an alias inside its own
 * anchor (a loop), a file whose aliases expand past ALIAS_ALLOWANCE + 10 x its own size (an
 * alias bomb), nesting deeper than MAX_DEPTH and a `__proto__` key are refused with the
 * position of the node that shows it. An alias costs what its anchor expands to, so an
 * honest file full of aliases passes.
 */
function inspect(src: Source): Problem | undefined {
  const inspection = new Inspection(src);
  inspection.walk(src.doc.contents, 1);
  return inspection.problem;
}

/** One walk's state: anchors seen so far, the shape of each finished node, the nodes still open. */
class Inspection {
  /** the first problem found; the walk stops there */
  problem: Problem | undefined;
  private readonly src: Source;
  private readonly anchors = new Map<string, Node>();
  private readonly shapes = new Map<unknown, Shape>();
  private readonly open = new Set<unknown>();
  /** values written in the file itself, aliases not expanded */
  private own = 0;

  constructor(src: Source) {
    this.src = src;
  }

  walk(node: unknown, depth: number): Shape {
    if (this.problem || node === null || node === undefined) return { size: 0, height: 0 };
    const { noun, nests } = this.src.kind;
    if (depth > MAX_DEPTH) return this.fail(node, `nesting is deeper than ${MAX_DEPTH} levels`, `a ${noun} nests ${nests} levels; is this the right file?`);
    if (isAlias(node)) return this.aliasShape(node, depth);
    this.own++;
    const tag = (node as { tag?: string }).tag;
    if (tag && !CORE_TAGS.has(tag)) return this.tagFail(node as Node);
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) this.anchors.set(anchor, node as Node);
    this.open.add(node);
    const children = this.childrenOf(node);
    if (!children) return { size: 0, height: 0 };
    const shape = this.shapeOf(children, depth);
    this.open.delete(node);
    this.shapes.set(node, shape);
    return shape;
  }

  /** An alias costs what its anchor expands to; it must come after the anchor, and outside it. */
  private aliasShape(node: Alias, depth: number): Shape {
    const target = this.anchors.get(node.source);
    if (!target) return this.fail(node, `YAML alias ${quote(`*${node.source}`)} has no anchor before it`);
    if (this.open.has(target)) {
      return this.fail(node, `YAML alias ${quote(`*${node.source}`)} is inside its own anchor (a loop)`, 'an alias repeats data that is complete before it');
    }
    const shape = this.shapes.get(target) ?? { size: 1, height: 1 };
    if (depth + shape.height - 1 > MAX_DEPTH) return this.fail(node, `YAML alias ${quote(`*${node.source}`)} nests the file deeper than ${MAX_DEPTH} levels`);
    return shape;
  }

  /** A map's keys and values, a list's items, a scalar's nothing; undefined when a key is refused. */
  private childrenOf(node: unknown): unknown[] | undefined {
    const children: unknown[] = [];
    if (isMap(node)) {
      for (const pair of node.items) {
        if (pair.key === null || (isScalar(pair.key) && pair.key.value === null)) {
          return void this.fail(pair.key ?? pair.value, 'a key is null (written null, ~ or left empty)', "every key is a name; quote it ('null') if that is the name");
        }
        if (isScalar(pair.key) && pair.key.value === '__proto__') {
          return void this.fail(pair.key, "key '__proto__' is not allowed", 'it is not a name cldemo knows, and JavaScript gives it a meaning');
        }
        const keyValue: unknown = isScalar(pair.key) ? pair.key.value : undefined;
        if (pair.key !== null && (!isScalar(pair.key) || (typeof keyValue === 'object' && keyValue !== null))) {
          return void this.fail(pair.key, 'a key must be a name, not a list, a map or an alias', `keys in a ${this.src.kind.noun} are names and settings`);
        }
        children.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) for (const item of node.items) children.push(item); // not push(...items): 180,000 links overflow the stack
    return children;
  }

  /** A node's size and height from its children's, refusing the file once aliases expand it past the allowance. */
  private shapeOf(children: unknown[], depth: number): Shape {
    let size = 1;
    let height = 0;
    for (const child of children) {
      const s = this.walk(child, depth + 1);
      size += s.size;
      height = Math.max(height, s.height);
      const limit = ALIAS_ALLOWANCE + 10 * this.own;
      if (size > limit) {
        const what = isAlias(child) ? `YAML alias ${quote(`*${child.source}`)} expands` : 'YAML aliases expand';
        return this.fail(child, `${what} the file past ${limit} values`, 'an alias bomb? aliases may repeat data, not multiply it');
      }
    }
    return { size, height: height + 1 };
  }

  /** A tag the file writes before a value: named as written, at its own place. */
  private tagFail(node: Node): Shape {
    const text = this.src.text;
    let at = text.lastIndexOf('!', rangeStart(node));
    while (at > 0 && !/[\s,[\]{}]/.test(text[at - 1])) at--;
    const written = /^(?:!<[^>]*>|[^\s,[\]{}]+)/.exec(text.slice(at))?.[0] ?? String(node.tag);
    const hint = `remove it: a ${this.src.kind.noun} holds plain maps, lists, text, numbers and true/false`;
    if (!this.problem) this.problem = { file: this.src.file, ...this.src.lines.linePos(at), message: `YAML tag ${quote(written)} is not one cldemo reads`, hint };
    return { size: 0, height: 0 };
  }

  private fail(node: unknown, message: string, hint?: string): Shape {
    if (!this.problem) this.problem = { file: this.src.file, ...this.src.lines.linePos(rangeStart(node) ?? 0), message, hint };
    return { size: 0, height: 0 };
  }
}

/**
 * `gateway: 2001:db8:1::` is a map to YAML: a value ending in ':' before a space or the line's
 * end makes a key. When the syntax error sits on such an IPv6 address, say so.
 */
function colonEndedAddress(body: string, offset: number): string | undefined {
  const start = body.lastIndexOf(' ', offset) + 1;
  const m = /^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:(?=[\s,}\]]|$)/.exec(body.slice(Math.min(start, offset), offset + 60));
  return m ? `an IPv6 address ending in ':' must be quoted in YAML: '${m[0]}'` : undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/** Structure check with zod, and whole numbers as written; every issue becomes a positioned problem. */
export function parseRaw(src: Source): RawTopology {
  jsonSchema ??= topologyJsonSchema() as JsonSchema;
  const data = parseWith(src, topologySchema(), { json: jsonSchema, unionHint, keysDoc: 'docs/topology.md' });
  // node names are the user's: `constructor` must not find Object.prototype's
  return { ...data, switches: nullPrototype(data.switches), servers: nullPrototype(data.servers) };
}

/** How a file's schema is told to its reader: its JSON Schema (for whole-number fields) and the words for a union it failed. */
export interface SchemaWords {
  json: JsonSchema;
  unionHint(path: Path): string;
  /** the page that lists every key, named by the hint for an unknown one */
  keysDoc: string;
}

/** `src` through `schema`: its value, or one TopologyError naming every problem at its file:line:column. */
export function parseWith<S extends z.ZodType>(src: Source, schema: S, words: SchemaWords): z.output<S> {
  // inspect() already bounded what aliases expand to
  const data = src.doc.toJS({ maxAliasCount: -1 }) ?? {};
  const result = schema.safeParse(data);
  const problems = result.success ? [] : result.error.issues.flatMap((i) => zodProblems(src, i, data, words));
  problems.push(...integerLiteralProblems(src, data, words.json));
  if (problems.length) throw new TopologyError(problems.sort((a, b) => a.line - b.line || a.col - b.col));
  return result.data as z.output<S>;
}

const INT_TAG = 'tag:yaml.org,2002:int';
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema | JsonSchema[];
  anyOf?: JsonSchema[];
}
let jsonSchema: JsonSchema | undefined;

/**
 * A whole-number field takes an integer as the YAML file writes one: `asn: 65011.0` or
 * `6.5011e4` is the number 65011 once parsed, so each such value's own token is read. The
 * fields come from the schema, so a new one is covered without a list here.
 */
function integerLiteralProblems(src: Source, data: unknown, jsonSchema: JsonSchema): Problem[] {
  const problems: Problem[] = [];
  for (const path of integerPaths(jsonSchema, data, [])) {
    const node = nodeAt(src.doc, path);
    if (!isScalar(node) || isIntegerToken(src.doc, node)) continue;
    const value = valueAt(data, path) as number;
    problems.push(problemAt(src, path, `${pathText(path)}: expected a whole number, got ${quote(node.source ?? String(node.value))}`, `write ${value}`));
  }
  return problems;
}

/** Paths in `data` of the schema's integer fields that hold a whole number (other numbers are zod's to refuse). */
function integerPaths(schema: JsonSchema, data: unknown, path: Path, out = new Map<string, Path>()): Path[] {
  if (schema.type === 'integer' && Number.isInteger(data)) out.set(path.join('\u0000'), path);
  for (const branch of schema.anyOf ?? []) integerPaths(branch, data, path, out);
  if (Array.isArray(data) && schema.items) {
    data.forEach((item, i) => {
      const items = schema.items as JsonSchema | JsonSchema[];
      const itemSchema = Array.isArray(items) ? items[i] : items;
      if (itemSchema) integerPaths(itemSchema, item, [...path, i], out);
    });
  } else if (data && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data)) {
      const sub = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (sub) integerPaths(sub, v, [...path, k], out);
    }
  }
  return [...out.values()];
}

/** An integer token of the document's own schema (YAML 1.2: 10, 0o12, 0xA; a %YAML 1.1 file: its forms too). */
function isIntegerToken(doc: Document, node: Scalar): boolean {
  if (node.tag && node.tag !== INT_TAG) return false;
  const token = node.source ?? '';
  return doc.schema.tags.some((t) => t.tag === INT_TAG && !t.collection && (t.test?.test(token) ?? false));
}

/** The node at `path`, through aliases and `<<` merges, or undefined. */
function nodeAt(doc: Document, path: Path): unknown {
  let node: unknown = doc.contents;
  for (const step of path) {
    node = deref(doc, node);
    if (isMap(node)) node = mapValue(doc, node, String(step), 0);
    else if (isSeq(node) && typeof step === 'number') node = node.items[step];
    else return undefined;
  }
  return deref(doc, node);
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** A map's value for `key`: its own pair first, then the maps it merges, in order. */
function mapValue(doc: Document, map: YAMLMap, key: string, depth: number): unknown {
  const own = map.items.find((p) => isScalar(p.key) && typeof p.key.value !== 'symbol' && String(p.key.value) === key);
  if (own || depth > MAX_DEPTH) return own?.value;
  for (const pair of map.items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== 'symbol') continue; // `<<`
    const merged = deref(doc, pair.value);
    for (const source of isSeq(merged) ? merged.items.map((m) => deref(doc, m)) : [merged]) {
      if (!isMap(source)) continue;
      const found = mapValue(doc, source, key, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function nullPrototype<T>(record: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, record);
}

/**
 * A union (`true` or a map, an address or a map) that fails as a map is reported as the map's
 * own problems (an unknown key, a wrong type inside), not as "expected one or the other".
 */
function zodProblems(src: Source, issue: z.core.$ZodIssue, data: unknown, words: SchemaWords): Problem[] {
  if (issue.code === 'invalid_union') {
    const got = valueAt(data, issue.path as Path);
    const isMap = got !== null && typeof got === 'object' && !Array.isArray(got);
    const asMap = isMap ? issue.errors.filter((branch) => !branch.some((e) => e.code === 'invalid_type' && e.path.length === 0)) : [];
    if (asMap.length === 1) return asMap[0].flatMap((e) => zodProblems(src, { ...e, path: [...issue.path, ...e.path] } as z.core.$ZodIssue, data, words));
  }
  return [zodProblem(src, issue, data, words)];
}

function zodProblem(src: Source, issue: z.core.$ZodIssue, data: unknown, words: SchemaWords): Problem {
  const path = issue.path as Path;
  const where = path.length ? pathText(path) : 'top level';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys;
      const named = `${keys.slice(0, 5).map(quote).join(', ')}${keys.length > 5 ? ', ...' : ''}`;
      return problemAt(src, [...path, keys[0]], `${where}: unknown key${keys.length > 1 ? 's' : ''} ${named}`, `check the spelling against ${words.keysDoc}`, true);
    }
    case 'invalid_type': {
      const got = valueAt(data, path);
      if (got === undefined) return problemAt(src, path, `${where}: missing required key`, `add ${quote(path[path.length - 1])}`);
      if (typeof got === 'number' && !Number.isFinite(got)) return problemAt(src, path, `${where}: expected a finite number, got ${shown(got)}`);
      return problemAt(src, path, `${where}: expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(got)}`, sexagesimalHint(src, path, got));
    }
    case 'invalid_value':
      return problemAt(src, path, `${where}: ${shown(valueAt(data, path))} is not one of ${issue.values.map((v) => quote(v)).join(', ')}`);
    case 'invalid_union':
      return problemAt(src, path, `${where}: ${words.unionHint(path)}, got ${describe(valueAt(data, path))}`);
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const side = issue.code === 'too_small' ? (issue.inclusive === false ? 'more than' : 'at least') : issue.inclusive === false ? 'less than' : 'at most';
      const unit = issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : '';
      return problemAt(src, path, `${where}: ${shown(valueAt(data, path))} must be ${side} ${String(bound)}${unit}`);
    }
    default:
      return problemAt(src, path, `${where}: ${issue.message}`);
  }
}

/** zod's type names, in the words of a YAML file. */
const EXPECTED: Record<string, string> = {
  object: 'a map',
  record: 'a map',
  array: 'a list',
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
};

/** `servers.server01.uplink`: names the user gave are quoted when they are not plain. */
function pathText(path: Path): string {
  return path.map((p) => (typeof p === 'number' || /^[A-Za-z0-9_-]{1,40}$/.test(p) ? String(p) : quote(p))).join('.');
}

/** A value as a message shows it: strings quoted and cut, numbers as YAML writes them. */
function shown(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return Number.isNaN(v) ? '.nan' : v === Infinity ? '.inf' : v === -Infinity ? '-.inf' : String(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return 'binary data';
  if (typeof v === 'object') return 'a map';
  return String(v);
}

/** `%YAML 1.1` reads `1:2:3:4:5:6:7:8` (an IPv6 address) as a base-60 number: name it when a string was meant. */
function sexagesimalHint(src: Source, path: Path, got: unknown): string | undefined {
  const node = typeof got === 'number' ? nodeAt(src.doc, path) : undefined;
  const text = isScalar(node) ? node.source : undefined;
  return text?.includes(':') ? `YAML 1.1 reads ${text} as a base-60 number: quote it ('${text}')` : undefined;
}

function unionHint(path: Path): string {
  if (path[0] === 'links') return "expected a link '[nodeA:port, nodeB:port]' or '{ endpoints: [..], mtu: N }'";
  if (path.includes('containers')) return "expected a container IP or '{ ip: ..., ip6: ..., image: ... }'";
  if (path[0] === 'bgp' && path[1] === 'bfd') return "expected true, false or '{ interval: MS, multiplier: N }'";
  if (path[0] === 'bgp' && path[1] === 'graceful_restart') return "expected true, false or '{ restart_time: S, stalepath_time: S }'";
  return 'unexpected value';
}

function valueAt(data: unknown, path: Path): unknown {
  let v: unknown = data;
  for (const p of path) v = v && typeof v === 'object' && Object.hasOwn(v, p) ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function describe(v: unknown): string {
  if (v === null || typeof v === 'object') return shown(v);
  return `${typeof v} ${shown(v)}`;
}
