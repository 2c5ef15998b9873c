/**
 * The suites run beside the user's own demo lab (the README's second command comes after the
 * first, which leaves the default topology's lab up) and beside each other's labs: every lab a
 * suite or a bench builds has a name and a management subnet of its own (bench/lib/labs.ts),
 * never the default topology's, and its state lives under the tests' own state directory.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LABS, type OwnLab } from '../../bench/lib/labs.js';
import { labId } from '../../src/lab/names.js';
import { loadPlanSync } from '../../src/providers.js';
import { parseCidr } from '../../src/topology/ip.js';
import { userStateDir } from '../../src/user-state.js';

const labs: OwnLab[] = Object.values(LABS);
const demo = loadPlanSync('topology.yaml');

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

/** Suites that build labs or namespaces (jest.config.js: the needs-root docblock line), and benches that build labs. */
const builders = [
  ...files('test', '.test.ts').filter((f) => /^\s*\*\s*@needs-root\s/m.test(readFileSync(f, 'utf8').slice(0, 2000))),
  ...files('bench', '.ts').filter((f) => /\blabUp\(|'lab',\s*'up'/.test(readFileSync(f, 'utf8'))),
];
/** A management subnet spelled out: a topology's `mgmt_subnet:`, a `mgmtSubnet:` value, `--mgmt-subnet X`. */
const MGMT_SUBNET = /mgmt[-_]?subnet\W{1,8}?(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\/\d{1,2})\b/gi;

const overlap = (a: string, b: string): boolean => {
  const [x, y] = [parseCidr(a)!, parseCidr(b)!];
  return x.network <= y.broadcast && y.network <= x.broadcast;
};

describe('the labs suites and benches build', () => {
  test('each has a name and a management subnet of its own, neither the default topology\'s', () => {
    const clashes: string[] = [];
    for (const [i, a] of labs.entries()) {
      if (!parseCidr(a.mgmtSubnet)) clashes.push(`${a.name}: ${a.mgmtSubnet} is not a subnet`);
      if (a.name === demo.name) clashes.push(`${a.name}: the default topology's name (the user's demo lab)`);
      if (overlap(a.mgmtSubnet, demo.lab.mgmtSubnet)) clashes.push(`${a.name}: ${a.mgmtSubnet} overlaps the demo's ${demo.lab.mgmtSubnet}`);
      for (const b of labs.slice(i + 1)) {
        if (a.name === b.name || labId(a.name) === labId(b.name)) clashes.push(`${a.name} and ${b.name}: one name (or one short id: interface names)`);
        if (overlap(a.mgmtSubnet, b.mgmtSubnet)) clashes.push(`${a.name} and ${b.name}: ${a.mgmtSubnet} overlaps ${b.mgmtSubnet}`);
      }
    }
    expect(clashes).toEqual([]);
  });

  test('a fixture a lab is built from has that lab\'s name and subnet', () => {
    const fixtures = labs.filter((l) => l.file);
    expect(fixtures.length).toBeGreaterThan(3);
    for (const l of fixtures) {
      const plan = loadPlanSync(l.file!);
      expect({ file: l.file, name: plan.name, mgmt: plan.lab.mgmtSubnet }).toEqual({ file: l.file, name: l.name, mgmt: l.mgmtSubnet });
    }
  });

  test('no suite or bench builds the default topology itself, or a lab that is not listed', () => {
    expect(builders.length).toBeGreaterThan(20);
    const subnets = new Set(labs.map((l) => l.mgmtSubnet));
    const fixtures = new Set(labs.flatMap((l) => (l.file ? [l.file] : [])));
    const problems: string[] = [];
    for (const file of builders) {
      const text = readFileSync(file, 'utf8');
      // the default topology is the user's demo lab: a copy of it comes from ownCopy (bench/lib/labs.ts)
      if (/['"`](\.\/)?topology\.yaml['"`]/.test(text) || /join\([^)]*['"]topology\.yaml['"]\)/.test(text)) problems.push(`${file}: names topology.yaml (build a copy: ownCopy)`);
      for (const [, cidr] of text.matchAll(MGMT_SUBNET)) if (!subnets.has(cidr)) problems.push(`${file}: management subnet ${cidr} is not listed in bench/lib/labs.ts`);
      for (const [, yaml] of text.matchAll(/['"`]((?:\.\/)?test\/[\w./-]+\.yaml)['"`]/g)) {
        if (existsSync(yaml) && loadPlanSync(yaml).provider === 'lab' && !fixtures.has(yaml.replace(/^\.\//, ''))) problems.push(`${file}: builds ${yaml}, which is not listed in bench/lib/labs.ts`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('their state (records, keys, locks) lives in the tests\' own directories, not the user\'s', () => {
    // jest.config.js sets them before any suite runs; the demo's lab is under /var/lib/cldemo
    expect(process.env.CLDEMO_STATE_DIR).toMatch(/cldemo-tests-/);
    expect(userStateDir()).toBe(`${process.env.CLDEMO_STATE_DIR}-run/cldemo`);
  });
});
