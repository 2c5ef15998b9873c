/**
 * The examples in README.md and docs/ stay true: every ```console block that needs no lab is
 * run again, command by command, with the built CLI as `cldemo`, and its output must be what
 * the page shows, line for line (a line `...` stands for any lines left out, none included).
 *
 * - ```console: each `$ ` line is a command (a line ending in `\` goes on), the lines after it
 *   its output, stdout and stderr together as a terminal shows them; `echo $?` answers the
 *   previous command's exit code. Blank lines closing an output are only spacing.
 * - ```console lab (real output of a running lab) and ```console sample (real, but from a
 *   run that differs every time: a test run, a timing) are not run here.
 * - A block after `<!-- docs-test: COMMAND -->` (the Mermaid drawing) is COMMAND's stdout exactly;
 *   a YAML block after `<!-- docs-test: validate -->` is a topology `cldemo validate` accepts.
 *
 * The commands run as the user running the tests, in a directory of their own holding links
 * to the checkout's files (so `./topology.yaml` and `test/fixtures/...` read as the pages say,
 * and a file an example writes lands there), with the tests' own state directories.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fences, pages, type Fence } from '../helpers/docs.js';

const ROOT = resolve('.');
const NOT_RUN = new Set(['console lab', 'console sample']);

/**
 * What a block to run may run: the CLI's commands that need no lab (nothing here touches a
 * fabric, a lab or the network) and a few text tools. Anything else fails unrun: a lab
 * example left unmarked must not run `up` or `npm test` from a unit test.
 */
const SAFE_CLDEMO = new Set(['validate', 'plan', 'render', 'generate', 'schema', 'completion', 'graph']);
const SAFE_TOOLS = new Set(['cldemo', 'echo', 'grep', 'head', 'tail', 'cmp', 'diff', 'cat', 'sed', 'wc', 'sort']);

function unsafe(command: string): string | undefined {
  if (/\$\(|`/.test(command)) return 'a command inside a command';
  for (const [, target] of command.matchAll(/>\s*([^\s&|;]+)/g)) {
    if (target.includes('/') || existsSync(join(ROOT, target))) return `\`> ${target}\` would write over a file of the checkout`;
  }
  for (const part of command.replace(/\\\n/g, ' ').split(/\|\||&&|[|;]/)) {
    const words = part.trim().split(/\s+/);
    if (!SAFE_TOOLS.has(words[0])) return `\`${words[0]}\` is not one of ${[...SAFE_TOOLS].join(', ')}`;
    if (words[0] === 'cldemo' && (!SAFE_CLDEMO.has(words[1]) || words.includes('--serve') || words.includes('--out'))) {
      return `\`cldemo ${words[1]}\` may need a lab (run here: ${[...SAFE_CLDEMO].join(', ')}; no --serve, no --out)`;
    }
  }
  return undefined;
}

interface Step {
  command: string;
  expected: string[];
  line: number;
}

function steps(block: Fence): Step[] {
  const out: Step[] = [];
  let i = 0;
  if (!block.body[0]?.startsWith('$ ')) throw new Error(`${block.page}:${block.line}: a console block to run starts with a \`$ \` command line`);
  while (i < block.body.length) {
    const line = block.line + 1 + i;
    let command = block.body[i].slice(2);
    while (command.endsWith('\\') && i + 1 < block.body.length) command = `${command}\n${block.body[++i]}`;
    const expected: string[] = [];
    while (++i < block.body.length && !block.body[i].startsWith('$ ')) expected.push(block.body[i]);
    while (expected.length > 0 && expected[expected.length - 1].trim() === '') expected.pop();
    out.push({ command, expected, line });
  }
  return out;
}

/** Whether `actual` is `expected` with each `...` line standing for any run of lines. */
function matches(expected: string[], actual: string[]): boolean {
  const memo = new Map<string, boolean>();
  const go = (e: number, a: number): boolean => {
    const key = `${e},${a}`;
    if (memo.has(key)) return memo.get(key)!;
    let r: boolean;
    if (e === expected.length) r = a === actual.length;
    else if (expected[e] === '...') r = go(e + 1, a) || (a < actual.length && go(e, a + 1));
    else r = a < actual.length && expected[e] === actual[a] && go(e + 1, a + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

let sandbox: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'cldemo-docs-'));
  for (const f of readdirSync(ROOT)) if (f !== '.git') symlinkSync(join(ROOT, f), join(sandbox, f));
  const bin = join(sandbox, '.bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'cldemo'), `#!/bin/sh\nexec '${process.execPath}' '${join(ROOT, 'bin/cldemo.js')}' "$@"\n`);
  chmodSync(join(bin, 'cldemo'), 0o755);
  env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', FORCE_COLOR: '0', COLUMNS: '200', LC_ALL: 'C.UTF-8' };
});

afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

function run(script: string): { out: string; code: number } {
  const r = spawnSync('bash', ['-c', script], { cwd: sandbox, env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { out: r.stdout, code: r.status ?? -1 };
}

function lines(out: string): string[] {
  const l = out.replace(/\n+$/, '').split('\n');
  return l.length === 1 && l[0] === '' ? [] : l;
}

const all = pages().flatMap(fences);
const consoles = all.filter((b) => b.info === 'console' || b.info.startsWith('console '));
const toRun = consoles.filter((b) => !NOT_RUN.has(b.info));
const marked = (b: Fence): string | undefined => /^<!--\s*docs-test:\s*(.*?)\s*-->$/.exec(b.before.trim())?.[1];
const outputs = all.filter((b) => marked(b) !== undefined && marked(b) !== 'validate');
const topologies = all.filter((b) => marked(b) === 'validate');

describe('docs examples', () => {
  test('every console block is run here or marked as lab or sample output', () => {
    const unknown = consoles.filter((b) => b.info !== 'console' && !NOT_RUN.has(b.info)).map((b) => `${b.page}:${b.line}: \`\`\`${b.info}`);
    expect(unknown).toEqual([]);
    expect(toRun.length).toBeGreaterThanOrEqual(8);
  });

  test('the ... rule: any run of lines, and nothing else', () => {
    expect(matches(['a', '...', 'd'], ['a', 'b', 'c', 'd'])).toBe(true);
    expect(matches(['a', '...', 'd'], ['a', 'd'])).toBe(true);
    expect(matches(['a', '...'], ['a', 'b'])).toBe(true);
    expect(matches(['a', 'd'], ['a', 'b', 'd'])).toBe(false);
    expect(matches(['a', '...', 'd'], ['a', 'b', 'd', 'e'])).toBe(false);
    expect(matches(['a'], ['a '])).toBe(false);
  });

  test.each(toRun.map((b) => [`${b.page}:${b.line}`, b] as const))('%s', (_where, block) => {
    const all = steps(block);
    const refused = all.flatMap((s) => {
      const why = unsafe(s.command);
      return why ? [`${block.page}:${s.line}: ${why}: mark the block \`\`\`console lab (or sample) if it is not to be run`] : [];
    });
    if (refused.length > 0) throw new Error(refused.join('\n'));
    let last = 0;
    for (const step of all) {
      const { out, code } = run(`exec 2>&1; (exit ${last}); ${step.command}`);
      last = code;
      const actual = lines(out);
      if (!matches(step.expected, actual)) {
        throw new Error(`${block.page}:${step.line}: \`${step.command}\` printed something else than the page shows.\n` +
          `--- the page\n${step.expected.join('\n')}\n--- the command (exit ${code})\n${actual.join('\n')}`);
      }
    }
  }, 300_000);

  test.each(outputs.map((b) => [`${b.page}:${b.line}`, b] as const))('%s is its command\'s output', (_where, block) => {
    const { out, code } = run(marked(block)!);
    expect(code).toBe(0);
    expect(lines(out)).toEqual(block.body);
  }, 120_000);

  test.each(topologies.map((b) => [`${b.page}:${b.line}`, b] as const))('%s is a topology validate accepts', (_where, block) => {
    const file = join(sandbox, `example-${block.line}.yaml`);
    writeFileSync(file, `${block.body.join('\n')}\n`);
    const { out, code } = run(`cldemo validate -t ${file} 2>&1`);
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining(': ok (') });
  }, 120_000);

  test('the pages mark what is checked: a drawing and the topology examples', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(1);
    expect(topologies.length).toBeGreaterThanOrEqual(2);
  });
});
