import { normalizeTitle } from '../matching/normalize-title.js';

/**
 * The text side of search, pure: what a query's words are, how far a typed word may be from a
 * title word, and which spellings count as the same word. The database side of the same rules is
 * moviec_search_word / moviec_search_tokens (migration 20261130060000_search_index).
 */

/** Roman numerals II-XX in search form (the SQL twin is moviec_search_word). */
export const ROMAN_NUMERALS: Record<string, string> = {
  ii: '2', iii: '3', iv: '4', vi: '6', vii: '7', viii: '8', ix: '9', xi: '11', xii: '12', xiii: '13',
  xiv: '14', xv: '15', xvi: '16', xvii: '17', xviii: '18', xix: '19', xx: '20',
};

/** A word in search form: Roman numerals as digits ("ii" -> "2"); other words unchanged. */
export function searchWord(word: string): string {
  // Own keys only: "constructor" or "__proto__" typed in a query is a word like any other.
  return Object.hasOwn(ROMAN_NUMERALS, word) ? ROMAN_NUMERALS[word]! : word;
}

/** The words of a query (or title) in search form, after the title normaliser. */
export function searchWords(text: string): string[] {
  return normalizeTitle(text).split(' ').filter(Boolean).map(searchWord);
}

/** Edits a typed word of this many letters may be away from a title word: 0 below 4, 1 up to 7, 2 beyond. */
export function allowedEdits(length: number): number {
  return length < 4 ? 0 : length < 8 ? 1 : 2;
}

/**
 * Optimal string alignment distance (Levenshtein with adjacent transpositions as one edit), or
 * max + 1 as soon as it must exceed max.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (a === b) return 0;
  const x = [...a];
  const y = [...b];
  if (Math.abs(x.length - y.length) > max) return max + 1;
  let before = new Array<number>(y.length + 1).fill(0);
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  let current = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return Math.min(previous[y.length]!, max + 1);
}

/** The one-letter deletions of a word (distinct). */
export function deletions(word: string): string[] {
  const letters = [...word];
  return [...new Set(letters.map((_, i) => [...letters.slice(0, i), ...letters.slice(i + 1)].join('')))];
}

// British and American spellings of the same word, both ways; a variant counts only when some
// title has it. Suffix rules over whole classes of words, not a word list.
const SPELLING_RULES: [RegExp, string][] = [
  [/our(s|ed|ing|ite|ites|able|less|ful)?$/, 'or$1'], // harbour, colours, honoured, favourite
  [/([^aeiou])or(s|ed|ing|ite|ites|able|less|ful)?$/, '$1our$2'], // harbor, colors
  [/tre(s)?$/, 'ter$1'], // centre, theatre, metres
  [/ter(s)?$/, 'tre$1'],
  [/is(e|es|ed|ing|ation|ations)$/, 'iz$1'], // realise, organisation
  [/iz(e|es|ed|ing|ation|ations)$/, 'is$1'],
  [/ys(e|es|ed|ing)$/, 'yz$1'], // analyse
  [/yz(e|es|ed|ing)$/, 'ys$1'],
  [/ence$/, 'ense'], // defence, licence, offence
  [/ense$/, 'ence'],
  [/ogue(s)?$/, 'og$1'], // catalogue, dialogue
  [/og(s)?$/, 'ogue$1'],
  [/ll(ed|ing|er|ers)$/, 'l$1'], // travelled, jeweller
  [/([^l])l(ed|ing|er|ers)$/, '$1ll$2'],
  [/mme(s)?$/, 'm$1'], // programme
  [/ae/, 'e'], // paediatric, encyclopaedia
  [/oe/, 'e'], // manoeuvre
  [/^grey/, 'gray'],
  [/^gray/, 'grey'],
];

/** Other spellings of a word (British <-> American), without the word itself. */
export function spellingVariants(word: string): string[] {
  if (word.length < 4) return [];
  const variants = new Set<string>();
  for (const [pattern, replacement] of SPELLING_RULES) {
    if (pattern.test(word)) {
      const variant = word.replace(pattern, replacement);
      if (variant !== word) variants.add(variant);
    }
  }
  return [...variants];
}

const YEAR = /^(18[89]\d|19\d\d|20\d\d)$/;

export interface AnalysedQuery {
  /** Every word in search form. */
  words: string[];
  /** The words a movie must match (all but a year the query names after other words). */
  required: string[];
  /** The year to prefer: named in the query after other words, or given as an argument. */
  year: number | null;
  /** The year word when it came from the query (a title may contain it: "Blade Runner 2049"). */
  yearWord: string | null;
  /** All words without spaces (whole-title matches). */
  compact: string;
  /** The required words without spaces. */
  compactRequired: string;
}

export function analyseQuery(text: string, year: number | null = null): AnalysedQuery {
  const words = searchWords(text);
  let required = words;
  let yearWord: string | null = null;
  if (words.length > 1) {
    const index = words.findLastIndex((w, i) => i > 0 && YEAR.test(w));
    if (index > 0) {
      yearWord = words[index]!;
      required = words.filter((_, i) => i !== index);
    }
  }
  return {
    words,
    required,
    year: year ?? (yearWord ? Number(yearWord) : null),
    yearWord,
    compact: words.join(''),
    compactRequired: required.join(''),
  };
}
