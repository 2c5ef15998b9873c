/**
 * Every lab the test suites and the benches build, each with a name and a management subnet
 * of its own. Never the default topology's (`cldemo` on 192.168.200.0/24 is the user's demo,
 * which the README leaves running), and never another's: a suite runs beside the demo, and
 * beside any other lab listed here. A lab's name becomes its namespaces' names (and, hashed,
 * its bridge's, veths' and cgroups'); its subnet becomes the address of a host bridge.
 * test/unit/own-labs.test.ts keeps this list true: a root suite or a bench that spells a
 * management subnet not listed here, or builds the default topology as it is, fails it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './measure.js';

export interface OwnLab {
  name: string;
  mgmtSubnet: string;
  /** who builds it */
  by: string;
  /** the fixture it is built from, when it is one (its name and subnet must match) */
  file?: string;
}

const lab = (name: string, mgmtSubnet: string, by: string, file?: string): OwnLab => ({ name, mgmtSubnet, by, ...(file ? { file } : {}) });

export const LABS = {
  // test suites
  labdefault: lab('labdefault', '192.168.254.0/24', 'test/lab/lab.test.ts (the default topology)'),
  labsmall: lab('labsmall', '192.168.231.0/24', 'test/lab/lab.test.ts, crash.test.ts', 'test/fixtures/topologies/lab-small.yaml'),
  twoper: lab('twoper', '192.168.232.0/24', 'test/fabric/scripts.test.ts (plan only)', 'test/fixtures/topologies/two-servers-per-leaf.yaml'),
  netnsdir: lab('netnsdir', '192.168.236.0/24', 'test/lab/netns-dir.test.ts', 'test/fixtures/topologies/netns-dir.yaml'),
  orche2e: lab('orche2e', '192.168.211.0/24', 'test/e2e/fabric.test.ts (the default topology)', 'test/e2e/fixtures/default-copy.yaml'),
  orchsmall: lab('orchsmall', '192.168.212.0/24', 'test/e2e/fabric, faults, real-boxes', 'test/e2e/fixtures/small.yaml'),
  views: lab('views', '192.168.213.0/24', 'test/views/lab-views.test.ts', 'test/views/fixtures/views.yaml'),
  'shp-one': lab('shp-one', '192.168.221.0/24', 'test/e2e/shapes.test.ts'),
  'shp-three': lab('shp-three', '192.168.222.0/24', 'test/e2e/shapes.test.ts'),
  'shp-four': lab('shp-four', '192.168.223.0/24', 'test/e2e/shapes.test.ts'),
  'shp-dual': lab('shp-dual', '192.168.224.0/24', 'test/e2e/shapes.test.ts (dual stack)'),
  opuser: lab('opuser', '192.168.217.0/24', 'test/e2e/operator.test.ts', 'test/e2e/fixtures/operator.yaml'),
  breakit: lab('breakit', '192.168.250.0/24', 'test/e2e/break-it.test.ts', 'test/e2e/fixtures/breakit.yaml'),
  tflt: lab('tflt', '192.168.249.0/24', 'test/e2e/fault-bench.test.ts (the default topology)'),
  tsoak: lab('tsoak', '192.168.134.0/24', 'test/bench/soak.test.ts (the default topology, the soak for 2 minutes)'),
  whylab: lab('whylab', '192.168.226.0/24', 'test/e2e/why.test.ts (dual stack)', 'test/e2e/fixtures/why.yaml'),
  drills: lab('drills', '192.168.196.0/24', 'test/e2e/drills.test.ts (the default topology with BFD and graceful restart)', 'test/e2e/fixtures/drills.yaml'),
  // the bench suite's smoke run (test/bench/smoke.test.ts) and its full run (npm run bench)
  bsmk1: lab('bsmk1', '192.168.246.0/24', 'bench/run.ts --smoke, scenarios 1-2'),
  bsmk4: lab('bsmk4', '192.168.247.0/24', 'bench/run.ts --smoke, scenarios 4-5'),
  bsmk6: lab('bsmk6', '192.168.248.0/24', 'bench/run.ts --smoke, scenario 6'),
  bsmk9: lab('bsmk9', '192.168.122.0/24', 'bench/run.ts --smoke and bench/mass-withdrawal.ts --smoke, scenario 9'),
  bsmk8: lab('bsmk8', '192.168.126.0/24', 'bench/run.ts --smoke, scenario 8'),
  bdef: lab('bdef', '192.168.242.0/24', 'bench/run.ts, scenarios 1-2 (the default topology)'),
  bscale: lab('bscale', '192.168.243.0/24', 'bench/run.ts, scenarios 4-5'),
  b512: lab('b512', '192.168.244.0/24', 'bench/run.ts, scenario 6'),
  bflt: lab('bflt', '192.168.252.0/24', 'bench/run.ts, scenario 7 (the default topology)'),
  bnodes: lab('bnodes', '192.168.125.0/24', 'bench/run.ts, scenario 8 (100 nodes)'),
  bfltg: lab('bfltg', '192.168.197.0/24', 'bench/run.ts, scenario 7 (the default topology with BFD and graceful restart)'),
  bmass: lab('bmass', '192.168.121.0/24', 'bench/run.ts and bench/mass-withdrawal.ts, scenario 9 (256 containers stopped at once)'),
  // benches run on their own
  benchten: lab('benchten', '192.168.240.0/24', 'bench/lab.ts'),
  benchbig: lab('benchbig', '192.168.241.0/24', 'bench/lab.ts'),
  orchbench: lab('orchbench', '192.168.245.0/24', 'bench/fabric.ts (the default topology)'),
  breal: lab('breal', '192.168.253.0/24', 'bench/real-boxes.ts (the default topology)'),
  bdual: lab('bdual', '192.168.225.0/24', 'bench/dual-stack.ts (the default topology, IPv4 only and dual stack)'),
  bsoak: lab('bsoak', '192.168.216.0/24', 'bench/views-soak.ts (30 minutes by default)'),
  vsoak: lab('vsoak', '192.168.219.0/24', 'test/views/soak.test.ts (bench/views-soak.ts for 2.7 minutes)'),
} satisfies Record<string, OwnLab>;

/** The default topology: the user's demo lab. Suites and benches build only copies of it (ownCopy). */
const DEFAULT_TOPOLOGY = join(ROOT, 'topology.yaml');

/**
 * DIR/NAME.yaml: `source` (the default topology unless given) under the lab's own name and
 * management subnet; `append` (YAML, e.g. a `bgp:` section) added at its end.
 */
export function ownCopy(own: Pick<OwnLab, 'name' | 'mgmtSubnet'>, dir: string, source = DEFAULT_TOPOLOGY, append = ''): string {
  const file = join(dir, `${own.name}.yaml`);
  const text = readFileSync(source, 'utf8')
    .replace(/^name: .*$/m, `name: ${own.name}`)
    .replace(/^(\s*mgmt_subnet:) .*$/m, `$1 ${own.mgmtSubnet}`);
  if (!text.includes(`name: ${own.name}\n`) || !text.includes(` ${own.mgmtSubnet}`)) throw new Error(`${source}: no top-level name or lab.mgmt_subnet line to replace`);
  writeFileSync(file, `${text}${append}`);
  return file;
}
