/**
 * A topology file is UTF-8 (a UTF-8 byte-order mark is fine). UTF-16 and UTF-32, told by
 * their byte-order mark or by the NUL bytes YAML's own encoding detection looks for, are
 * refused with "save it as UTF-8"; a byte that is not UTF-8 (Latin-1 text, say) is refused
 * at its line and column instead of being silently replaced.
 */
import { TopologyError, type Problem } from '../errors.js';

const SAVE_AS_UTF8 = 'save it as UTF-8';

/** The file's text, or a TopologyError naming the file and the first byte that is not UTF-8. */
export function decodeTopology(file: string, bytes: Uint8Array): string {
  const wide = wideEncoding(bytes);
  if (wide) throw new TopologyError([{ file, line: 1, col: 1, message: `the file is ${wide}, not UTF-8`, hint: SAVE_AS_UTF8 }]);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TopologyError([notUtf8(file, bytes, firstInvalidUtf8(bytes))]);
  }
}

/** UTF-16/32 by byte-order mark, or by the NULs of its first character (YAML 1.2, 5.2). */
function wideEncoding(b: Uint8Array): string | null {
  const [b0, b1, b2, b3] = [b[0], b[1], b[2], b[3]];
  if (b.length >= 4 && b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) return 'UTF-32BE (it starts with a byte-order mark)';
  if (b.length >= 4 && b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0) return 'UTF-32LE (it starts with a byte-order mark)';
  if (b.length >= 2 && b0 === 0xfe && b1 === 0xff) return 'UTF-16BE (it starts with a byte-order mark)';
  if (b.length >= 2 && b0 === 0xff && b1 === 0xfe) return 'UTF-16LE (it starts with a byte-order mark)';
  if (b.length >= 4 && b0 === 0 && b1 === 0 && b2 === 0 && b3 !== 0) return 'UTF-32BE (NUL bytes around its first character)';
  if (b.length >= 4 && b0 !== 0 && b1 === 0 && b2 === 0 && b3 === 0) return 'UTF-32LE (NUL bytes around its first character)';
  if (b.length >= 2 && b0 === 0 && b1 !== 0) return 'UTF-16BE (a NUL byte before its first character)';
  if (b.length >= 2 && b0 !== 0 && b1 === 0) return 'UTF-16LE (a NUL byte after its first character)';
  return null;
}

/** Offset of the first byte that does not begin or continue a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const n = sequenceLength(b, i);
    if (n === 0) return i;
    i += n;
  }
  return b.length;
}

/** Length of the well-formed sequence at i, or 0. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  // [lead range, bytes, first continuation's range] from RFC 3629's table: no overlongs, surrogates or > U+10FFFF
  const forms: [number, number, number, number, number][] = [
    [0xc2, 0xdf, 2, 0x80, 0xbf],
    [0xe0, 0xe0, 3, 0xa0, 0xbf],
    [0xe1, 0xec, 3, 0x80, 0xbf],
    [0xed, 0xed, 3, 0x80, 0x9f],
    [0xee, 0xef, 3, 0x80, 0xbf],
    [0xf0, 0xf0, 4, 0x90, 0xbf],
    [0xf1, 0xf3, 4, 0x80, 0xbf],
    [0xf4, 0xf4, 4, 0x80, 0x8f],
  ];
  const form = forms.find(([lo, hi]) => c >= lo && c <= hi);
  if (!form || i + form[2] > b.length) return 0;
  if (b[i + 1] < form[3] || b[i + 1] > form[4]) return 0;
  for (let k = 2; k < form[2]; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  return form[2];
}

/** The problem at the bad byte: its line (LF, CRLF or CR end a line) and column (in characters). */
function notUtf8(file: string, b: Uint8Array, at: number): Problem {
  let line = 1;
  let start = 0;
  for (let i = 0; i < at; i++) {
    if (b[i] === 0x0a || (b[i] === 0x0d && b[i + 1] !== 0x0a)) {
      line++;
      start = i + 1;
    }
  }
  const col = Array.from(new TextDecoder().decode(b.subarray(start, at))).length + 1;
  const byte = b[at].toString(16).padStart(2, '0');
  return { file, line, col, message: `the file is not UTF-8: byte 0x${byte} here is not part of a UTF-8 character`, hint: `${SAVE_AS_UTF8}; was it Latin-1 or Windows-1252?` };
}
