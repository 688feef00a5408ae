import { normalizeTitle } from './normalize-title.js';

/**
 * Whether two titles can name the same film, and how closely they agree. Title similarity alone
 * joins sequels to originals ("Paranormal Activity" / "Paranormal Activity 2" are 0.9 alike), so
 * a title is first taken apart into its head, its sequel number and its subtitle:
 *
 * - Numbers are compared as one form: Arabic, Roman, spelled and superscript numbers, and
 *   "Part N" / "Chapter N" / "Episode N" / "Vol. N" (2 = II = Part Two = ², "Alien3" = "Alien³").
 * - A number on one side only, or different numbers, is a different film whatever the
 *   similarity, unless a distinctive subtitle agrees ("Crank 2: High Voltage" is "Crank: High
 *   Voltage").
 * - Fractions ("Cop & ½", "The Lion King 1½") are words of the title, not numbers.
 * - A subtitle after ":" or " - " may be missing on one side when the head is specific; such a
 *   match must have the same year (the caller checks `needsSameYear`).
 */

export interface TitleShape {
  /** The whole title, normalised, numbers in Arabic form. */
  full: string;
  /** The title before its subtitle, without its number. */
  head: string;
  /** The subtitle without its number, or null. */
  subtitle: string | null;
  number: number | null;
  /** Whether the number stands before the subtitle ("Crank 2: High Voltage"), not in it ("Mission: Impossible II"). */
  numberInHead: boolean;
}

export type TitleComparison =
  | { compatible: true; score: number; needsSameYear: boolean; note: string | null }
  | { compatible: false; reason: string };

const FRACTIONS: Record<string, string> = { '¼': 'quarter', '½': 'half', '¾': 'threequarters', '⅓': 'third', '⅔': 'twothirds' };
const FRACTION_TEXT: Record<string, string> = { '1/4': '¼', '1/2': '½', '3/4': '¾', '1/3': '⅓', '2/3': '⅔' };
const SPELLED = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty',
];
const ROMAN = /^(?:x{0,2})(?:ix|iv|v?i{0,3})$/;
const MARKERS = new Set(['part', 'chapter', 'episode', 'vol', 'volume', 'pt', 'chap', 'ep']);
// Subtitles too generic to prove two differently numbered titles are one film.
const GENERIC_SUBTITLES = new Set([
  'movie', 'the movie', 'sequel', 'the sequel', 'returns', 'the return', 'return', 'revenge', 'the revenge', 'the beginning',
  'beginning', 'the next generation', 'the final chapter', 'final chapter', 'part', 'the series', 'redux', 'reloaded', 'resurrection',
]);
const STOPWORDS = new Set(['a', 'an', 'the', 'of', 'and', 'in', 'on', 'at', 'to', 'for', 'de', 'la', 'le', 'el']);

function romanValue(token: string): number | null {
  if (!token || !ROMAN.test(token)) return null;
  const values: Record<string, number> = { i: 1, v: 5, x: 10 };
  let total = 0;
  for (let i = 0; i < token.length; i++) {
    const v = values[token[i]!]!;
    const next = values[token[i + 1] ?? ''] ?? 0;
    total += v < next ? -v : v;
  }
  return total || null;
}

/** The value of a number token ("2", "ii", "two"); `strict` refuses the Roman "i", "v" and "x" alone. */
function numberValue(token: string, strict: boolean): number | null {
  if (/^\d{1,4}$/.test(token)) return Number(token);
  const spelled = SPELLED.indexOf(token);
  if (spelled > 0) return spelled;
  if (strict && (token === 'i' || token === 'v' || token === 'x')) return token === 'i' ? null : romanValue(token);
  return romanValue(token);
}

/** A title's normalised words with fractions as words and glued numbers split ("alien3" → "alien 3"). */
export function titleWords(title: string): string[] {
  return words(title);
}

/** Spelled numbers 1-20 ("two"), for lookups. */
export const SPELLED_NUMBERS: readonly string[] = SPELLED;

/** Normalised words of a title part, fractions kept as words and a number glued to a word split off ("alien3"). */
function words(part: string): string[] {
  const withFractions = part
    .replace(/\b([123])\/([234])\b/g, (m, n: string, d: string) => FRACTION_TEXT[`${n}/${d}`] ?? m)
    .replace(/(\d*)\s*([¼½¾⅓⅔])/g, (_m, whole: string, f: string) => ` ${whole}${FRACTIONS[f]} `);
  return normalizeTitle(withFractions)
    .split(' ')
    .filter(Boolean)
    .flatMap((w) => {
      const glued = /^([a-z]{3,})(\d{1,2})$/.exec(w);
      return glued ? [glued[1]!, glued[2]!] : [americanSpelling(w)];
    });
}

/**
 * British and American spellings as one ("Three Colours" / "Three Colors", "Theatre", "Grey"):
 * applied to both titles alike, so a word it bends wrongly ("devour") still compares equal.
 */
function americanSpelling(word: string): string {
  const our = /^(.{3,})our(s?)$/.exec(word);
  if (our) return `${our[1]}or${our[2]}`;
  if (word.length >= 5 && /[tb]re$/.test(word)) return `${word.slice(0, -2)}er`;
  if (word === 'grey') return 'gray';
  return word;
}

/** Takes the sequel number out of a part's words: after a marker ("part two") anywhere, or trailing. */
function takeNumber(tokens: string[], trailingAllowed: boolean): { tokens: string[]; number: number | null } {
  for (let i = 0; i < tokens.length - 1; i++) {
    if (MARKERS.has(tokens[i]!)) {
      const n = numberValue(tokens[i + 1]!, false);
      if (n !== null) return { tokens: [...tokens.slice(0, i), ...tokens.slice(i + 2)], number: n };
    }
  }
  if (trailingAllowed && tokens.length >= 2) {
    const n = numberValue(tokens[tokens.length - 1]!, true);
    if (n !== null) return { tokens: tokens.slice(0, -1), number: n };
  }
  return { tokens, number: null };
}

const SEPARATOR = /\s*:\s+|\s*:(?=\S)|\s+[-–—]\s+/;

/** A title taken apart into head, number and subtitle. */
export function titleShape(title: string): TitleShape {
  const at = SEPARATOR.exec(title);
  const rawHead = at ? title.slice(0, at.index) : title;
  const rawSub = at ? title.slice(at.index + at[0].length) : null;
  const head = takeNumber(words(rawHead), true);
  const sub = rawSub === null ? null : takeNumber(words(rawSub), head.number === null);
  const number = head.number ?? sub?.number ?? null;
  const subtitle = sub && sub.tokens.length ? sub.tokens.join(' ') : null;
  const headText = head.tokens.join(' ');
  const full = [headText, number === null ? '' : String(number), subtitle ?? ''].filter(Boolean).join(' ');
  return { full, head: headText, subtitle, number, numberInHead: head.number !== null };
}

function significant(text: string): string[] {
  return text.split(' ').filter((w) => w && !STOPWORDS.has(w));
}

function distinctiveSubtitle(subtitle: string): boolean {
  return !GENERIC_SUBTITLES.has(subtitle) && significant(subtitle).join('').length >= 6;
}

/** A head that names one film on its own, so a missing subtitle cannot hide another. */
function specificHead(head: string): boolean {
  const sig = significant(head);
  return sig.length >= 2 ? sig.join('').length >= 8 : (sig[0]?.length ?? 0) >= 9;
}

const show = (n: number | null) => (n === null ? 'none' : String(n));

/** Compares two titles (a record's and a movie's). */
export function compareTitles(a: string, b: string): TitleComparison {
  const x = titleShape(a);
  const y = titleShape(b);
  if (!x.full || !y.full) return { compatible: false, reason: 'empty title' };
  if (x.number !== y.number) {
    const numbersInHeads = (x.number === null || x.numberInHead) && (y.number === null || y.numberInHead);
    if (numbersInHeads && x.subtitle && y.subtitle && x.subtitle === y.subtitle && distinctiveSubtitle(x.subtitle) && trigramSimilarity(x.head, y.head) >= 0.8) {
      return { compatible: true, score: 0.95, needsSameYear: false, note: `numbering differs (${show(x.number)} / ${show(y.number)}) but the subtitle agrees` };
    }
    return { compatible: false, reason: `sequel number differs (${show(x.number)} vs ${show(y.number)})` };
  }
  if (x.full === y.full) return { compatible: true, score: 1, needsSameYear: false, note: null };
  if (x.subtitle && y.subtitle && x.head === y.head && trigramSimilarity(x.subtitle, y.subtitle) < 0.5) {
    return { compatible: false, reason: `different subtitle ("${x.subtitle}" vs "${y.subtitle}")` };
  }
  const similarity = trigramSimilarity(x.full, y.full);
  if ((!x.subtitle) !== (!y.subtitle)) {
    const [short, long] = x.subtitle ? [y, x] : [x, y];
    // A sequel number both sides share makes a short head specific ("Die Hard 2" / "Die Hard 2: Die Harder").
    const specific = specificHead(short.head) || (short.number !== null && significant(short.head).length > 0);
    if (short.head === long.head && specific && similarity < 0.9) {
      return { compatible: true, score: 0.9, needsSameYear: true, note: `subtitle "${long.subtitle}" missing on one side` };
    }
  }
  return { compatible: true, score: round(similarity), needsSameYear: false, note: null };
}

/** pg_trgm's similarity: shared trigrams of the padded words over all trigrams. */
export function trigramSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const ta = trigrams(a);
  const tb = trigrams(b);
  if (!ta.size || !tb.size) return 0;
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared++;
  return shared / (ta.size + tb.size - shared);
}

function trigrams(text: string): Set<string> {
  const out = new Set<string>();
  for (const word of text.split(' ').filter(Boolean)) {
    const padded = `  ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) out.add(padded.slice(i, i + 3));
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
