/**
 * The views on a real lab (root, namespaces, FRR, dockerd): status, events, capture and the
 * live page in Debian's Chromium. Run under the lab lock, like every lab test. Without
 * root and FRR the whole file is skipped; without Chromium only the browser test is.
 * @needs-root builds a lab (network namespaces, FRR, dockerd); run under the lab lock
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';
import { labUp } from '../../src/lab/up.js';
import { labDown } from '../../src/lab/down.js';
import { loadPlanSync } from '../../src/providers.js';
import { eventSchema, statusSchema } from '../../src/fabric/observe/formats.js';
import { cldemo } from '../lab/helpers.js';

jest.setTimeout(300_000);

const FILE = resolve('test/views/fixtures/views.yaml');
const plan = loadPlanSync(FILE);
const CHROMIUM = '/usr/bin/chromium';
const labReason = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/lib/frr/frrinit.sh') ? 'needs FRR (scripts/setup.sh)' : '';
const describeLab = labReason ? describe.skip : describe;
if (labReason) test(`views lab test skipped: ${labReason}`, () => undefined);

/** A CLI process that keeps running (events, graph --serve); lines of its stdout as they come. */
class Running {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  private waiters: Array<() => void> = [];
  constructor(args: string[]) {
    this.child = spawn(process.execPath, ['bin/cldemo.js', ...args], { env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let rest = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop() ?? '';
      this.lines.push(...parts);
      this.waiters.forEach((w) => w());
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.waiters.forEach((w) => w());
    });
  }
  /** Waits until `ok()` holds, re-checked on every output; fails after `ms`. */
  until(ok: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}\nstdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`)), ms);
      const check = () => {
        if (ok()) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve();
        }
      };
      this.waiters.push(check);
      check();
    });
  }
  stop(): Promise<number> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve(this.child.exitCode);
      this.child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1)));
      this.child.kill('SIGINT');
    });
  }
}

/** One events --json line, as the tests read it. */
type Ev = { type: string; action: string; node: string; prefix?: string; ip?: string; container?: string; time: string };

const exec = (node: string, ...argv: string[]) => cldemo(['lab', 'exec', '-t', FILE, node, '--', ...argv]);

describeLab('views on the lab', () => {
  let firstUp = '';
  beforeAll(async () => {
    await labDown(plan).catch(() => undefined);
    await labUp(plan, { install: false, log: () => undefined });
    for (const step of [['up'], ['ping-sweep'], ['verify-routes', '--wait', '30', '--no-dataplane']]) {
      const r = cldemo([...step, '-t', FILE]);
      if (r.code !== 0) throw new Error(`${step[0]} failed: ${r.stderr}`);
      if (step[0] === 'up') firstUp = r.stdout;
    }
  });
  afterAll(async () => {
    cldemo(['down', '-t', FILE]);
    await labDown(plan);
  });

  test('status --json: all well, every count full, the document fits schema/status.schema.json', () => {
    const r = cldemo(['status', '--json', '-t', FILE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = statusSchema.parse(JSON.parse(r.stdout));
    expect(doc.ok).toBe(true);
    expect(doc.switches.map((s) => [s.name, s.bgp?.up, s.bgp?.total, s.routes?.present, s.routes?.expected])).toEqual([
      ['spine1', 2, 2, 3, 3],
      ['leaf1', 1, 1, 3, 3],
      ['leaf2', 1, 1, 3, 3],
    ]);
    expect(doc.switches.filter((s) => s.role === 'leaf').map((s) => [s.agent?.state, s.agent?.neighbors])).toEqual([['running', 2], ['running', 1]]);
    expect(doc.servers.map((s) => s.containers)).toEqual([{ running: 2, total: 2, expected: 2 }, { running: 1, total: 1, expected: 1 }]);
    expect(doc.containers.every((c) => c.state === 'running' && c.routed_on === 3 && c.arp !== 'none')).toBe(true);
  });

  test("up's table: one short line per node (the full list with --verbose), nothing wider than 100 columns", () => {
    const lines = firstUp.split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines.find((l) => l.startsWith('leaf1 '))).toMatch(/^leaf1\s+leaf\s+\d+ files, .*FRR (reloaded|restarted).*agent (started|uploaded)/);
    expect(lines.find((l) => l.startsWith('host1 '))).toMatch(/^host1\s+server\s+.*network created, 2 containers created$/);
    const again = cldemo(['up', '--verbose', '-t', FILE]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^leaf1\s+leaf\s+unchanged$/m);
  });

  test('status in a terminal: one short line per node, nothing wider than 100 columns', () => {
    const r = cldemo(['status', '-t', FILE]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    for (const n of [...plan.switches, ...plan.servers]) expect(lines.filter((l) => l.startsWith(`${n.name} `))).toHaveLength(1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(r.stdout).toMatch(/^ok \(\d+\.\d s\)$/m);
  });

  test('events --json: a stopped container dies, leaves its leaf and its /32 leaves every switch; started again, it comes back', async () => {
    const c = plan.containers[0];
    const ev = new Running(['events', '--json', '--duration', '120', '-t', FILE]);
    const events = (): Ev[] => ev.lines.filter(Boolean).map((l) => JSON.parse(l) as Ev);
    try {
      await ev.until(() => events().filter((e) => e.type === 'watch' && e.action === 'started').length === 5, 20_000, 'every node watched');
      expect(exec(c.server, 'docker', 'stop', '-t', '1', c.name).code).toBe(0);
      const gone = (e: Ev) => e.type === 'route' && e.action === 'withdrawn' && e.prefix === `${c.ip}/32`;
      await ev.until(() => new Set(events().filter(gone).map((e) => e.node)).size === plan.switches.length, 15_000, `${c.ip}/32 withdrawn on every switch`);
      expect(events().some((e) => e.type === 'container' && e.action === 'die' && e.container === c.name && e.node === c.server)).toBe(true);
      expect(events().some((e) => e.type === 'arp' && e.node === c.leaf && e.ip === c.ip && ['failed', 'deleted'].includes(e.action))).toBe(true);

      expect(exec(c.server, 'docker', 'start', c.name).code).toBe(0);
      expect(cldemo(['ping-sweep', '-t', FILE]).code).toBe(0);
      const back = (e: Ev) => e.type === 'route' && e.action === 'added' && e.prefix === `${c.ip}/32`;
      await ev.until(() => new Set(events().filter(back).map((e) => e.node)).size === plan.switches.length, 15_000, `${c.ip}/32 back on every switch`);
      expect(events().some((e) => e.type === 'arp' && e.action === 'learned' && e.node === c.leaf && e.ip === c.ip)).toBe(true);
    } finally {
      expect(await ev.stop()).toBe(0);
    }
    for (const e of events()) {
      expect(() => eventSchema.parse(e)).not.toThrow();
      expect(Number.isNaN(Date.parse(e.time))).toBe(false);
    }
  });

  test('events --count N stops by itself after N events', () => {
    const c = plan.containers[2];
    const ev = spawn(process.execPath, ['bin/cldemo.js', 'events', '--count', '1', '--no-watch', '-t', FILE]);
    let out = '';
    ev.stdout.on('data', (d) => (out += d));
    const done = new Promise<number>((r) => ev.on('exit', (code) => r(code ?? -1)));
    return new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        exec(c.server, 'docker', 'restart', '-t', '1', c.name);
        done.then((code) => {
          try {
            expect(code).toBe(0);
            expect(out.trim().split('\n')).toHaveLength(1);
            expect(out).toMatch(new RegExp(`container \\w+ ${c.name.replace(/\./g, '\\.')}`));
            resolve();
          } catch (e) {
            reject(e);
          }
        }, reject);
      }, 4000);
    });
  });

  test('lab capture NODE:IF -c N -w FILE writes a pcap of what crossed the interface', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cldemo-capture-'));
    try {
      const file = join(dir, 'leaf1.pcap');
      const c = plan.containers.find((x) => x.leaf === 'leaf1')!;
      const cap = spawn(process.execPath, ['bin/cldemo.js', 'lab', 'capture', '-t', FILE, 'leaf1:swp3', '-c', '2', '-w', file, 'icmp']);
      const code = new Promise<number>((r) => cap.on('exit', (x) => r(x ?? -1)));
      await new Promise((r) => setTimeout(r, 1500));
      exec('leaf1', 'ping', '-c', '3', '-i', '0.2', c.ip);
      expect(await code).toBe(0);
      const pcap = readFileSync(file);
      expect(pcap.readUInt32LE(0).toString(16)).toMatch(/^(a1b2c3d4|a1b23c4d)$/);
      expect(pcap.length).toBeGreaterThan(24 + 2 * 16);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const chromeReason = !existsSync(CHROMIUM) ? `${CHROMIUM} is not installed (scripts/setup.sh installs chromium)` : spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--version']).status !== 0 ? 'chromium cannot start here' : '';
  (chromeReason ? test.skip : test)('graph --serve: the page in Chromium shows every node, and a stopped container changes state within holdtime + 2 s', async () => {
    const { chromium } = await import('playwright-core');
    // playwright makes its own empty profile (the probe's --user-data-dir)
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // a port the kernel picks: any fixed one may be held by the user's own graph --serve
    const srv = new Running(['graph', '--serve', '--port', '0', '-t', FILE]);
    const c = plan.containers[1];
    try {
      await srv.until(() => /watching \d+ nodes/.test(srv.stderr), 30_000, 'the live page server');
      const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      await page.goto(/on (http:\/\/\S+)/.exec(srv.stderr)![1]);
      await page.waitForFunction(() => (window as unknown as { fabricPage?: { ready: boolean } }).fabricPage?.ready === true);
      const drawn = await page.evaluate(() => (window as unknown as { cy: { nodes(): { map(f: (n: { id(): string }) => string): string[] } } }).cy.nodes().map((n) => n.id()));
      const listed = await page.$$eval('tr[data-node]', (rows) => rows.map((r) => r.getAttribute('data-node')));
      const all = [...plan.switches, ...plan.servers, ...plan.containers].map((n) => n.name);
      expect([...drawn].sort()).toEqual([...all].sort());
      expect([...listed].sort()).toEqual([...all].sort());
      const row = `tr[data-node="${c.name}"]`;
      await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-state') === 'running', row, { timeout: 15_000 });
      expect(await page.getAttribute('tr[data-node="leaf1"]', 'data-state')).toBe('ok');

      const stopped = Date.now();
      exec(c.server, 'docker', 'stop', '-t', '1', c.name);
      const limit = (plan.redistributeNeighbor.holdtime + 2) * 1000;
      await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-state') !== 'running', row, { timeout: limit });
      expect(Date.now() - stopped).toBeLessThanOrEqual(limit + 1000); // + the docker stop command itself
      if (process.env.CLDEMO_SCREENSHOT) await page.screenshot({ path: process.env.CLDEMO_SCREENSHOT });
      exec(c.server, 'docker', 'start', c.name);
    } finally {
      await browser.close();
      expect(await srv.stop()).toBe(0);
    }
  });
  (chromeReason ? test.skip : test)('graph --serve: a link pulled is drawn down (red dashes) at its link event, an impaired one amber with its impairment; both go back', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const srv = new Running(['graph', '--serve', '--port', '0', '-t', FILE]);
    type Cy = { edges(): { filter(f: (e: { hasClass(c: string): boolean }) => boolean): { map(f: (e: { data(k: string): string }) => string): string[] } } };
    const edges = (cls: string) => page.evaluate((c) => (window as unknown as { cy: Cy }).cy.edges().filter((e) => e.hasClass(c)).map((e) => e.data('ports')), cls);
    const listed = () => page.$$eval('#links li', (lis) => lis.map((li) => `${li.getAttribute('data-link')} ${li.getAttribute('data-state')} ${li.getAttribute('data-impair')}`.trim()));
    let page!: Awaited<ReturnType<typeof browser.newPage>>;
    try {
      await srv.until(() => /watching \d+ nodes/.test(srv.stderr), 30_000, 'the live page server');
      page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      await page.goto(/on (http:\/\/\S+)/.exec(srv.stderr)![1]);
      await page.waitForFunction(() => document.querySelector('tr[data-node="leaf1"]')?.getAttribute('data-state') === 'ok', undefined, { timeout: 15_000 });
      expect(await listed()).toEqual([]);

      expect(cldemo(['lab', 'link', '-t', FILE, 'leaf1:swp1', 'down']).code).toBe(0);
      // the link event, not the next status read (every 10 s), draws it
      const pulled = Date.now();
      await page.waitForFunction(() => document.querySelector('#links li[data-state="down"]') !== null, undefined, { timeout: 5_000 });
      expect(Date.now() - pulled).toBeLessThan(5_000);
      expect(await edges('down')).toEqual(['swp1 \u2013 swp1']);
      expect(await listed()).toEqual(['spine1:swp1 -- leaf1:swp1 down']);
      expect(cldemo(['lab', 'link', '-t', FILE, 'leaf1:swp1', 'up']).code).toBe(0);
      await page.waitForFunction(() => document.querySelector('#links li') === null, undefined, { timeout: 5_000 });

      expect(cldemo(['lab', 'impair', '-t', FILE, 'leaf2:swp1', '--loss', '5', '--rate', '50mbit']).code).toBe(0);
      // no event says so: the next status read does (within its 10 s period)
      await page.waitForFunction(() => document.querySelector('#links li[data-state="impaired"]') !== null, undefined, { timeout: 15_000 });
      expect(await listed()).toEqual(['spine1:swp2 -- leaf2:swp1 impaired loss 5% rate 50Mbit']);
      expect(await edges('impaired')).toEqual(['swp2 \u2013 swp1']);
      expect(await edges('down')).toEqual([]);
      if (process.env.CLDEMO_SCREENSHOT) await page.screenshot({ path: process.env.CLDEMO_SCREENSHOT.replace(/(\.png)?$/, '-links.png') });
      expect(cldemo(['lab', 'impair', '-t', FILE, '--clear']).code).toBe(0);
      await page.waitForFunction(() => document.querySelector('#links li') === null, undefined, { timeout: 15_000 });
    } finally {
      await browser.close();
      expect(await srv.stop()).toBe(0);
    }
  });

  test('events: a link pulled and plugged back is seen from both switches; status names the link down, then lists an impairment in force', async () => {
    const ev = new Running(['events', '--json', '--duration', '60', '-t', FILE]);
    const events = (): Ev[] => ev.lines.filter(Boolean).map((l) => JSON.parse(l) as Ev);
    const link = (node: string, action: string) => events().some((e) => e.type === 'link' && e.node === node && e.action === action);
    try {
      await ev.until(() => events().filter((e) => e.type === 'watch' && e.action === 'started').length === 5, 20_000, 'every node watched');
      expect(cldemo(['lab', 'link', '-t', FILE, 'spine1:swp2', 'down']).code).toBe(0);
      await ev.until(() => link('spine1', 'down') && link('leaf2', 'down'), 5_000, 'link down on both ends');
      const st = cldemo(['status', '--json', '-t', FILE]);
      expect(st.code).toBe(1);
      expect(statusSchema.parse(JSON.parse(st.stdout)).problems).toContain('link spine1:swp2 -- leaf2:swp1 down (spine1:swp2 admin down, leaf2:swp1 admin down)');
      expect(cldemo(['lab', 'link', '-t', FILE, 'leaf2:swp1', 'up']).code).toBe(0);
      await ev.until(() => link('spine1', 'up') && link('leaf2', 'up'), 5_000, 'link up on both ends');
    } finally {
      expect(await ev.stop()).toBe(0);
    }
    expect(events().find((e) => e.type === 'link' && e.node === 'spine1')).toMatchObject({ dev: 'swp2', peer: 'leaf2:swp1' });
    expect(events().find((e) => e.type === 'link' && e.node === 'leaf2')).toMatchObject({ dev: 'swp1', peer: 'spine1:swp2' });
    for (const e of events()) expect(() => eventSchema.parse(e)).not.toThrow();
    expect(cldemo(['verify-routes', '--wait', '30', '--no-dataplane', '-t', FILE]).code).toBe(0);
    expect(cldemo(['lab', 'impair', '-t', FILE, 'host1:eth1', '--loss', '1']).code).toBe(0);
    try {
      const doc = statusSchema.parse(JSON.parse(cldemo(['status', '--json', '-t', FILE]).stdout));
      expect(doc.impairments).toEqual([{ link: 'host1:eth1 -- leaf1:swp3', impair: { loss: 1 }, ends: ['leaf1:swp3'], partial: false }]);
      expect(cldemo(['status', '-t', FILE]).stdout).toMatch(/^impaired: host1:eth1 -- leaf1:swp3 {2}loss 1% each way$/m);
    } finally {
      expect(cldemo(['lab', 'impair', '-t', FILE, '--clear']).code).toBe(0);
    }
  });
  if (chromeReason) test(`browser test skipped: ${chromeReason}`, () => undefined);
});
