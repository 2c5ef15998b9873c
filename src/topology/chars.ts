/**
 * One character as an error message names it: `'_'` for printable ASCII, else its code
 * point with a name or a kind (`U+0664 ARABIC-INDIC DIGIT FOUR`, `U+0430 CYRILLIC SMALL
 * LETTER A`, `U+202E (an invisible formatting character)`), so a look-alike or a bidi
 * control in a name is pointed at, not just echoed.
 */

const NAMES: Record<number, string> = {
  0x0000: 'NULL',
  0x0009: 'CHARACTER TABULATION',
  0x000a: 'LINE FEED',
  0x000d: 'CARRIAGE RETURN',
  0x001b: 'ESCAPE',
  0x007f: 'DELETE',
  0x0085: 'NEXT LINE',
  0x00a0: 'NO-BREAK SPACE',
  0x00ad: 'SOFT HYPHEN',
  0x0131: 'LATIN SMALL LETTER DOTLESS I',
  0x03bf: 'GREEK SMALL LETTER OMICRON',
  0x0430: 'CYRILLIC SMALL LETTER A',
  0x0435: 'CYRILLIC SMALL LETTER IE',
  0x043e: 'CYRILLIC SMALL LETTER O',
  0x0440: 'CYRILLIC SMALL LETTER ER',
  0x0441: 'CYRILLIC SMALL LETTER ES',
  0x0445: 'CYRILLIC SMALL LETTER HA',
  0x0456: 'CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x2010: 'HYPHEN',
  0x2011: 'NON-BREAKING HYPHEN',
  0x2012: 'FIGURE DASH',
  0x2013: 'EN DASH',
  0x2014: 'EM DASH',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0x2212: 'MINUS SIGN',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
};

const DIGIT_WORDS = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];
/** Digit blocks whose digits look like, or stand for, ASCII ones. */
const DIGIT_BLOCKS: [number, string][] = [
  [0x0660, 'ARABIC-INDIC DIGIT'],
  [0x06f0, 'EXTENDED ARABIC-INDIC DIGIT'],
  [0x0966, 'DEVANAGARI DIGIT'],
  [0xff10, 'FULLWIDTH DIGIT'],
];

const SCRIPTS = ['Latin', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Devanagari', 'Bengali', 'Thai', 'Georgian', 'Hangul', 'Hiragana', 'Katakana', 'Han'];
const SCRIPT_RES = SCRIPTS.map((s) => [s, new RegExp(`^\\p{Script=${s}}$`, 'u')] as const);

/** The Unicode name of the usual suspects, else what kind of character it is. */
function nameOf(ch: string, cp: number): string {
  if (NAMES[cp]) return NAMES[cp];
  for (const [start, name] of DIGIT_BLOCKS) if (cp >= start && cp < start + 10) return `${name} ${DIGIT_WORDS[cp - start]}`;
  const script = SCRIPT_RES.find(([, re]) => re.test(ch))?.[0];
  if (/^\p{Nd}$/u.test(ch)) return `(a digit${script ? ` of the ${script} script` : ''}, not an ASCII one)`;
  if (/^\p{L}$/u.test(ch)) return `(a ${script ? `${script} ` : ''}letter, not an ASCII one)`;
  if (/^\p{Cf}$/u.test(ch)) return '(an invisible formatting character)';
  if (/^\p{Cc}$/u.test(ch)) return '(a control character)';
  if (/^\p{Z}$/u.test(ch)) return '(a space)';
  if (/^\p{M}$/u.test(ch)) return '(a combining mark)';
  if (/^\p{Cs}$/u.test(ch)) return '(half of a surrogate pair: not a character)';
  return '(not an ASCII character)';
}

/** `'_'` for printable ASCII, `U+0664 ARABIC-INDIC DIGIT FOUR` for anything else. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x20 && cp < 0x7f) return cp === 0x27 ? '"\'"' : `'${ch}'`;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${nameOf(ch, cp)}`;
}

/** The first character of `s` outside `allowed` (one character's class), with its 1-based position. */
export function firstOutside(s: string, allowed: RegExp): { ch: string; at: number } | null {
  let at = 0;
  for (const ch of s) {
    at++;
    if (!allowed.test(ch)) return { ch, at };
  }
  return null;
}
