/** lab.json is read back as root by `lab down`: it is checked, never trusted; it is private. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationError } from '../../src/errors.js';
import { bridgeName, cgroupParent, mgmtVethName, nodePaths, nsDir, recordFile } from '../../src/lab/names.js';
import { readRecord, writeRecord, type LabRecord } from '../../src/lab/record.js';
import { labStateDir } from '../../src/lab/state.js';

const LAB = 'rectest';

function honest(): LabRecord {
  const p = nodePaths(LAB, 'leaf01');
  return {
    version: 1,
    name: LAB,
    stateDir: labStateDir(LAB),
    nsDir: nsDir(LAB),
    nsDirMounted: true,
    bridge: bridgeName(LAB),
    mgmtSubnet: '192.168.250.0/24',
    planDigest: 'x',
    nodes: { leaf01: { role: 'leaf', mgmtIp: '192.168.250.10', ...p, hostVeth: mgmtVethName(LAB, 0), cgroupParent: cgroupParent(LAB, 'leaf01'), pids: {} } },
    complete: true,
  };
}

describe('lab record', () => {
  const saved = process.env.CLDEMO_STATE_DIR;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cldemo-record-'));
    process.env.CLDEMO_STATE_DIR = join(dir, 'state');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.CLDEMO_STATE_DIR;
    else process.env.CLDEMO_STATE_DIR = saved;
  });

  it('round-trips, written 0600 in a 0700 directory even under umask 000', () => {
    const old = process.umask(0);
    try {
      writeRecord(honest());
    } finally {
      process.umask(old);
    }
    expect(readRecord(LAB)).toEqual(honest());
    expect(statSync(recordFile(LAB)).mode & 0o777).toBe(0o600);
    expect(statSync(labStateDir(LAB)).mode & 0o777).toBe(0o700);
  });

  const tampered: [string, (r: LabRecord) => void, RegExp][] = [
    ['stateDir outside the lab', (r) => (r.stateDir = '/'), /stateDir is "\/", not .*state\/rectest/],
    ['another lab\'s name', (r) => (r.name = 'other'), /name is "other", not rectest/],
    ['nsDir elsewhere', (r) => (r.nsDir = '/etc'), /nsDir is "\/etc"/],
    ['the host\'s network namespace', (r) => (r.nodes.leaf01.netnsFile = '/proc/1/ns/net'), /nodes.*leaf01.*netnsFile is "\/proc\/1\/ns\/net"/],
    ['a node dir outside', (r) => (r.nodes.leaf01.dir = '/home'), /leaf01.*\.dir is "\/home"/],
    ['the host\'s eth0 as a veth', (r) => (r.nodes.leaf01.hostVeth = 'eth0'), /hostVeth is "eth0", not one of this lab's veths/],
    ['a foreign bridge', (r) => (r.bridge = 'docker0'), /bridge is "docker0"/],
    ['a node name that is a path', (r) => (r.nodes['../../etc'] = r.nodes.leaf01), /not a node name/],
  ];
  it.each(tampered)('refuses a record with %s, naming the field', (_what, edit, message) => {
    const rec = honest();
    edit(rec);
    writeRecord({ ...rec, name: LAB });
    if (rec.name !== LAB) writeFileSync(recordFile(LAB), JSON.stringify(rec));
    expect(() => readRecord(LAB)).toThrow(OperationError);
    expect(() => readRecord(LAB)).toThrow(message);
  });

  it('refuses a record that is not JSON, saying nothing was removed', () => {
    writeRecord(honest());
    writeFileSync(recordFile(LAB), '{"name": ');
    expect(() => readRecord(LAB)).toThrow(/not a lab record .*nothing was removed/);
    expect(readFileSync(recordFile(LAB), 'utf8')).toBe('{"name": ');
  });
});
