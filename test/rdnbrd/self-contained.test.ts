/** The agent is copied alone to switches that have only Node: no npm imports allowed. */
import { readdirSync, readFileSync } from 'node:fs';

const DIR = 'src/rdnbrd';
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
const importsOf = (file: string) =>
  [...readFileSync(`${DIR}/${file}`, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]);

describe('rdnbrd sources', () => {
  it('are found and parsed', () => {
    expect(FILES).toContain('main.ts');
    expect(importsOf('main.ts')).toContain('node:fs');
  });

  it.each(FILES)('%s imports only Node built-ins and files of its own folder', (file) => {
    expect(importsOf(file).filter((s) => !s.startsWith('node:') && !/^\.\/[\w-]+\.js$/.test(s))).toEqual([]);
    expect(readFileSync(`${DIR}/${file}`, 'utf8')).not.toMatch(/\brequire\(|\bimport\(/);
  });
});
