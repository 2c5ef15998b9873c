/**
 * A platform that exists only in this test (./boxos: its module and its templates, one file
 * per daemon and a commit as its apply step) is registered, and a topology on it is
 * validated, planned, rendered and brought up (dry run, then for real) against fake nodes,
 * with nothing under src/ knowing its name.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TopologyError, formatProblem } from '../../src/errors.js';
import { up } from '../../src/fabric/change/up.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import type { AgentBundle } from '../../src/fabric/change/agent.js';
import { registerPlatform, switchPlatformNames } from '../../src/platforms/index.js';
import { loadPlanSync } from '../../src/providers.js';
import { renderAll } from '../../src/render/index.js';
import { summarizeChanges, wordChanges } from '../../src/summary.js';
import { topologyJsonSchema } from '../../src/topology/schema.js';
import type { Plan } from '../../src/topology/types.js';
import { FakeFleet } from '../fabric/fake-node.js';
import { boxos } from './boxos/boxos.js';

const FILE = fileURLToPath(new URL('./boxos/topology.yaml', import.meta.url));
const TEXT = readFileSync(FILE, 'utf8');
const agent: AgentBundle = { hash: 'abc123', files: new Map([['main.js', '// agent']]) };

/** The problems of a topology text, as `validate` prints them (file:line:col: message). */
function problems(text: string): string[] {
  try {
    loadPlanSync(FILE, text);
    return [];
  } catch (e) {
    if (e instanceof TopologyError) return e.problems.map(formatProblem);
    throw e;
  }
}

/** Fake nodes, each with its agent not running: its scripts answer as a stopped agent's would. */
function fleet(plan: Plan): FakeFleet {
  const f = new FakeFleet();
  for (const s of plan.servers) f.get(s.name).dockerd.images.add(plan.image);
  for (const sw of plan.switches) {
    f.get(sw.name)
      .on(/^boxctl service rdnbrd status$/, { stdout: 'stopped\n' })
      .on(/^boxctl service rdnbrd ensure$/, { stdout: 'started\n' })
      .on(/^boxctl service rdnbrd restart/, { stdout: 'restarted\n' })
      .on(/^test -f /, { code: 1 })
      // cldemo's own agent on leaf02: its status, then its start
      .on(/kill -0.*echo stopped; fi$/, { stdout: 'stopped\n' })
      .on(/kill -0/, { stdout: 'started\n' });
  }
  return f;
}

describe('a platform registered by a test', () => {
  beforeAll(() => registerPlatform(boxos));

  test('is a value the topology may name, in the JSON Schema too; before it was registered it was not', () => {
    expect(switchPlatformNames()).toEqual(['frr', 'cumulus', 'boxos']);
    const schema = topologyJsonSchema() as { properties: { defaults: { properties: { platform: { enum: string[] } } } } };
    expect(schema.properties.defaults.properties.platform.enum).toEqual(['frr', 'cumulus', 'boxos']);
    expect(problems(TEXT.replace('platform: boxos', 'platform: boxox'))).toEqual([`${FILE}:4:23: defaults.platform: 'boxox' is not one of 'frr', 'cumulus', 'boxos'`]);
  });

  test('validates, and the lab refuses it where it is set, naming the switches', () => {
    expect(problems(TEXT)).toEqual([]);
    const lab = TEXT.replace('provider: external', 'provider: lab');
    expect(problems(lab)).toEqual([
      `${FILE}:4:23: platform boxos cannot run in the local lab (spine01, leaf01) (hint: the lab's switches are Debian + FRR: use platform frr, or provider external)`,
    ]);
  });

  test('plans: a switch without a platform of its own takes the default', () => {
    const plan = loadPlanSync(FILE, TEXT);
    expect(plan.switches.map((s) => [s.name, s.platform])).toEqual([['spine01', 'boxos'], ['leaf01', 'boxos'], ['leaf02', 'frr']]);
  });

  test('renders one file per daemon from its own templates, and one that extends a built-in template', () => {
    const rendered = renderAll(loadPlanSync(FILE, TEXT));
    const leaf01 = rendered.get('leaf01')!;
    expect([...leaf01.values()].map((f) => f.path)).toEqual(['/etc/boxos/interfaces.conf', '/etc/boxos/zebra.conf', '/etc/boxos/bgpd.conf', '/etc/boxos/rdnbrd.conf']);
    expect(leaf01.get('bgpd')!.text).toBe(
      '# bgpd.conf.j2 on leaf01 (platform boxos)\nrouter bgp 65011\n bgp router-id 10.9.0.11\n neighbor swp51 interface remote-as external\n redistribute table 10\n',
    );
    expect(leaf01.get('interfaces')!.text).toContain('port swp1 mtu 9216 address 172.16.9.1/24 proxy-arp\n');
    expect(leaf01.get('rdnbrd')!.text).toMatch(/^# \/etc\/rdnbrd\.conf on leaf01 \(leaf, platform boxos\)\n[\s\S]*route_table = 10\n[\s\S]*# boxos reads the file from \/etc\/boxos\n$/);
    expect([...rendered.get('spine01')!.keys()]).toEqual(['interfaces', 'zebra', 'bgpd']);
    expect([...rendered.get('leaf02')!.values()].map((f) => f.path)).toEqual(['/etc/network/interfaces', '/etc/frr/frr.conf', '/etc/frr/daemons', '/etc/rdnbrd.conf']);
  });

  test('up --dry-run says what it would install and start, and touches nothing', async () => {
    const plan = loadPlanSync(FILE, TEXT);
    const f = fleet(plan);
    const ctx: FabricContext = { plan, connect: f.connect, parallel: 4, progress: silentProgress };
    const report = await up(ctx, { agent, dryRun: true });
    expect(report.ok).toBe(true);
    const leaf01 = report.nodes.find((n) => n.name === 'leaf01')!;
    expect(wordChanges(leaf01.records, true)).toEqual([
      'would install /etc/boxos/interfaces.conf',
      'would install /etc/boxos/zebra.conf',
      'would install /etc/boxos/bgpd.conf',
      'would install /etc/boxos/rdnbrd.conf',
      'would start rdnbrd',
    ]);
    expect(summarizeChanges(leaf01.records, true)).toBe('would install 4 files, would start rdnbrd');
    for (const n of f.nodes.values()) {
      expect(n.uploads).toEqual([]);
      expect(n.ran(/boxctl (check|commit)|boxctl service rdnbrd (ensure|restart)|mv /)).toEqual([]);
    }
  });

  test('up checks each file with the box\'s own CLI, then commits once; the summary says so in its words', async () => {
    const plan = loadPlanSync(FILE, TEXT);
    const f = fleet(plan);
    const report = await up({ plan, connect: f.connect, parallel: 4, progress: silentProgress }, { agent });
    expect(report.nodes.filter((n) => !n.ok)).toEqual([]);
    const leaf01 = f.get('leaf01');
    expect(leaf01.ran(/^boxctl check/)).toEqual(['interfaces', 'zebra', 'bgpd'].map((d) => `boxctl check ${d} /etc/boxos/${d === 'interfaces' ? 'interfaces' : d}.conf.cldemo-new`));
    expect(leaf01.ran(/^boxctl commit/)).toEqual(['boxctl commit --confirm']);
    expect(leaf01.files.get('/etc/boxos/zebra.conf')).toBe(renderAll(plan).get('leaf01')!.get('zebra')!.text);
    expect(leaf01.ran(/ifreload|frr-reload|frrinit/)).toEqual([]);
    // the config changed, so the agent is told: a restart of the box's own service, no upload
    expect(leaf01.ran(/^boxctl service rdnbrd restart/)).toHaveLength(1);
    expect(summarizeChanges(report.nodes.find((n) => n.name === 'leaf01')!.records)).toBe('4 files, committed, agent restarted');
    // leaf02 is still frr: Debian's files, FRR restarted (a new daemons file), cldemo's agent uploaded
    expect(summarizeChanges(report.nodes.find((n) => n.name === 'leaf02')!.records)).toBe('4 files, ifreload, FRR restarted, agent uploaded, agent started');
  });
});
