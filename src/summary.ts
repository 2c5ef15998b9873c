/**
 * One short line per node for the end-of-command tables: "4 files installed, FRR reloaded,
 * agent started" instead of every path and command. The full list stays in --verbose and
 * --json. Lines are cut to fit a 100-column terminal.
 */

/** How a change line is counted: a pattern and the words it counts under. */
const KINDS: Array<{ match: RegExp; one: (m: RegExpMatchArray) => string; many?: (n: number, m: RegExpMatchArray) => string }> = [
  { match: /^installed\b/, one: () => '1 file', many: (n) => `${n} files` },
  { match: /^would install\b/, one: () => 'would install 1 file', many: (n) => `would install ${n} files` },
  { match: /^restored\b/, one: () => '1 file restored', many: (n) => `${n} files restored` },
  { match: /frr-reload\.py/, one: () => 'FRR reloaded' },
  { match: /frrinit\.sh restart|systemctl restart frr/, one: () => 'FRR restarted' },
  { match: /^ifreload\b/, one: () => 'ifreload' },
  { match: /^(would )?upload(ed)? the rdnbrd agent/, one: (m) => (m[1] ? 'would upload agent' : 'agent uploaded') },
  { match: /^rdnbrd (\S+)/, one: (m) => `agent ${m[1]}` },
  { match: /^would (\w+) (network|container) /, one: (m) => `would ${m[1]} 1 ${m[2]}`, many: (n, m) => `would ${m[1]} ${n} ${m[2]}s` },
  { match: /^(\w+) (network|container) /, one: (m) => `${m[2]} ${m[1]}`, many: (n, m) => `${n} ${m[2]}s ${m[1]}` },
];

export function summarizeChanges(changes: string[], width = 80): string {
  const groups = new Map<string, { count: number; m: RegExpMatchArray; kind: (typeof KINDS)[number] | undefined; text: string }>();
  for (const c of changes) {
    const kind = KINDS.find((k) => k.match.test(c));
    const m = kind ? c.match(kind.match)! : ([c] as unknown as RegExpMatchArray);
    const key = kind ? `${KINDS.indexOf(kind)}:${kind.one(m)}` : c;
    const g = groups.get(key);
    if (g) g.count += 1;
    else groups.set(key, { count: 1, m, kind, text: c });
  }
  const parts = [...groups.values()].map((g) => (!g.kind ? g.text : g.count > 1 && g.kind.many ? g.kind.many(g.count, g.m) : g.kind.one(g.m)));
  return fit(parts.join(', '), width);
}

/** Cuts a line to `width` characters, saying where the rest is. */
export function fit(line: string, width: number): string {
  if (line.length <= width) return line;
  const tail = ' ... (--verbose)';
  return line.slice(0, width - tail.length).replace(/[,\s]+\S*$/, '') + tail;
}
