/** completion: the bash script is valid shell and completes real commands and options; the shipped schemas are current. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildProgram } from '../../src/cli.js';
import { bashCompletion, fishCompletion, zshCompletion } from '../../src/completion.js';
import { eventJsonSchema, statusJsonSchema, whyJsonSchema } from '../../src/fabric/observe/formats.js';

/** Runs the bash completion function for `line` (the cursor at its end) and returns COMPREPLY. */
function complete(line: string): string[] {
  const words = line.split(' ');
  const script = `${bashCompletion(buildProgram())}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_cldemo; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

describe('completion', () => {
  test('bash: subcommands, nested subcommands and options', () => {
    expect(complete('cldemo ver')).toEqual(['verify-routes']);
    expect(complete('cldemo lab ca')).toEqual(['capture']);
    expect(complete('cldemo st')).toEqual(['status']);
    expect(complete('cldemo status --')).toEqual(expect.arrayContaining(['--json', '--topology', '--verbose', '--parallel', '--help']));
    expect(complete('cldemo -t topology.yaml graph --f')).toEqual(['--format']);
    expect(complete('cldemo graph --format ')).toEqual([]);
  });

  test('zsh and fish scripts name every top-level command', () => {
    const program = buildProgram();
    const zsh = zshCompletion(program);
    const fish = fishCompletion(program);
    expect(zsh).toMatch(/^#compdef cldemo/);
    for (const c of program.commands) {
      expect(fish).toContain(` -a ${c.name()} `);
      expect(zsh).toContain(c.name());
    }
    expect(fish).toContain("-n '__fish_seen_subcommand_from lab; and not __fish_seen_subcommand_from");
    expect(spawnSync('bash', ['-n'], { input: bashCompletion(program) }).status).toBe(0);
  });

  test('schema/status.schema.json, event.schema.json and why.schema.json are what the code generates (npm run schema)', () => {
    expect(JSON.parse(readFileSync('schema/status.schema.json', 'utf8'))).toEqual(statusJsonSchema());
    expect(JSON.parse(readFileSync('schema/event.schema.json', 'utf8'))).toEqual(eventJsonSchema());
    expect(JSON.parse(readFileSync('schema/why.schema.json', 'utf8'))).toEqual(whyJsonSchema());
  });
});
