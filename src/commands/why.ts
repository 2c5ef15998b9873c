/** `cldemo why IP|CONTAINER`: thin adapter over src/fabric/observe/why. */
import type { Command } from 'commander';
import type { WhyLink, WhyReport } from '../fabric/observe/formats.js';
import { judgeWhy, whichContainer } from '../fabric/observe/why.js';
import { readWhy } from '../fabric/observe/why-read.js';
import { bad, dim, ok, printJson } from '../output.js';
import { loadPlanFrom } from './common.js';
import { fabricOptions, seconds, withFabric, type FabricOpts } from './fabric-common.js';

/** Every line fits a terminal this wide. */
const WIDTH = 100;

export function registerWhy(program: Command): void {
  fabricOptions(
    program
      .command('why')
      .description("walk the chain that makes one container reachable and stop at the first broken link, saying what to do")
      .argument('<target>', "a container's name, or its IPv4 or IPv6 address"),
  ).action(async (target: string, opts: FabricOpts) => {
    // a name or address the topology does not have is bad input: said before any node is asked
    const container = whichContainer(await loadPlanFrom(opts), target);
    const started = Date.now();
    const report = await withFabric(opts, async (ctx) => judgeWhy(ctx.plan, container, await readWhy(ctx, container), Date.now() - started));
    if (opts.json) printJson(report);
    else console.log(whyText(report));
    if (!report.ok) process.exitCode = 1;
  });
}

const LINK_WORDS: Record<WhyLink['link'], string> = {
  topology: 'topology',
  docker: 'docker',
  cable: 'cable',
  neighbor: 'arp',
  agent: 'agent',
  frr: 'frr',
  fabric: 'fabric',
  http: 'http',
};

function linkName(l: WhyLink): string {
  if (l.link === 'neighbor' && l.family === 6) return 'ndp';
  return l.family === 6 && l.link !== 'http' ? `${LINK_WORDS[l.link]} /128` : LINK_WORDS[l.link];
}

/** One line per link checked, the broken one with its remedy; every line within WIDTH columns. */
export function whyText(r: WhyReport): string {
  const c = r.container;
  const out = [`${c.name} (${[c.ip, c.ip6].filter(Boolean).join(', ')}): ${c.server} -> ${c.leaf}:${c.port}`];
  // `  BROKEN fabric /128  ...`: the words start in column 22
  const indent = 22;
  for (const l of r.links) {
    const mark = l.ok ? ok('ok    ') : bad('BROKEN');
    out.push(...wrap(l.says, WIDTH - indent).map((line, i) => (i === 0 ? `  ${mark} ${linkName(l).padEnd(12)} ${line}` : `${' '.repeat(indent)}${line}`)));
  }
  if (r.ok) out.push('', ok(`all is well: every link holds for ${c.name} (${seconds(r.elapsed_ms)})`));
  else if (r.broken?.remedy) out.push(...wrap(`${dim('do:')} ${r.broken.remedy}`, WIDTH - indent, 4).map((line) => `${' '.repeat(indent - 4)}${line}`));
  return out.join('\n');
}

/** Words on lines of at most `width` columns (colour codes not counted); a continuation indented. */
function wrap(text: string, width: number, indent = 0): string[] {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length; // eslint-disable-line no-control-regex
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const pad = lines.length ? ' '.repeat(indent) : '';
    if (line && visible(pad + line + ' ' + word) > width) {
      lines.push(pad + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push((lines.length ? ' '.repeat(indent) : '') + line);
  // a single word longer than the width (a long path) is cut, never left to wrap the terminal
  return lines.map((l) => (visible(l) > width ? `${l.slice(0, width - 3)}...` : l));
}
