/**
 * The topology file's encoding: UTF-8 or a clear refusal. The first bad byte is checked
 * against Node's own strict decoder (TextDecoder fatal), on random bytes.
 */
import fc from 'fast-check';
import { TopologyError } from '../../src/errors.js';
import { decodeTopology, firstInvalidUtf8 } from '../../src/topology/encoding.js';
import { loadTopology } from '../../src/topology/index.js';

const strict = new TextDecoder('utf-8', { fatal: true });
const decodes = (b: Uint8Array) => {
  try {
    strict.decode(b);
    return true;
  } catch {
    return false;
  }
};

function refusal(bytes: Uint8Array): string {
  try {
    decodeTopology('t.yaml', bytes);
  } catch (e) {
    if (e instanceof TopologyError) return e.message;
    throw e;
  }
  return 'accepted';
}

it('the first bad byte is where a strict decoder first fails (random bytes)', () => {
  // bytes leaning to UTF-8's lead and continuation ranges, so that long valid runs occur
  const byte = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xbf }), fc.integer({ min: 0xc0, max: 0xff }));
  fc.assert(
    fc.property(fc.array(byte, { maxLength: 40 }), (arr) => {
      const b = Uint8Array.from(arr);
      const at = firstInvalidUtf8(b);
      expect(at === b.length).toBe(decodes(b));
      expect(decodes(b.subarray(0, at))).toBe(true);
    }),
    { seed: 19, numRuns: 3000 },
  );
});

it('UTF-16 and UTF-32, with or without a byte-order mark, are told apart and refused', () => {
  const text = 'name: t1\n';
  expect(refusal(Buffer.from(`\ufeff${text}`, 'utf16le'))).toMatch(/t\.yaml:1:1: the file is UTF-16LE \(it starts with a byte-order mark\), not UTF-8 \(hint: save it as UTF-8\)$/);
  expect(refusal(Buffer.from(text, 'utf16le'))).toMatch(/UTF-16LE \(a NUL byte after its first character\)/);
  expect(refusal(Buffer.from(text, 'utf16le').swap16())).toMatch(/UTF-16BE \(a NUL byte before its first character\)/);
  expect(refusal(Uint8Array.from([0xff, 0xfe, 0, 0, 0x6e, 0, 0, 0]))).toMatch(/UTF-32LE \(it starts with a byte-order mark\)/);
  expect(refusal(Uint8Array.from([0, 0, 0, 0x6e]))).toMatch(/UTF-32BE/);
});

it('a UTF-8 byte-order mark is fine, and dropped', () => {
  expect(decodeTopology('t.yaml', Buffer.from('\ufeffname: x\n'))).toBe('name: x\n');
});

it('a bad byte is named at its line and column, counted in characters, whatever ends the lines', () => {
  for (const nl of ['\n', '\r\n', '\r']) {
    const b = Buffer.concat([Buffer.from(`a: 1${nl}b: 2${nl}c: "é\u4e2d`), Buffer.from([0xe9]), Buffer.from(`"${nl}`)]);
    expect(refusal(b)).toBe('t.yaml:3:7: the file is not UTF-8: byte 0xe9 here is not part of a UTF-8 character (hint: save it as UTF-8; was it Latin-1 or Windows-1252?)');
  }
});

it('a NUL character in the text is refused at its place', () => {
  expect(() => loadTopology('t.yaml', 'name: t1\n# a\u0000\n')).toThrow('t.yaml:2:4: the file holds a NUL character (U+0000), which YAML does not allow');
});
