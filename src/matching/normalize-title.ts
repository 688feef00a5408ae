const ARTICLES = ['the', 'a', 'an', 'le', 'la', 'les', 'l', 'el', 'los', 'las', 'il', 'lo', 'der', 'die', 'das', 'de', 'het'];
const LEADING_ARTICLE = new RegExp(`^(?:${ARTICLES.join('|')}) `);
const TRAILING_ARTICLE = new RegExp(` (?:${ARTICLES.join('|')})$`);
// UTF-8 read as Latin-1 turns "é" into "Ã©": these lead bytes betray it.
const MOJIBAKE = /[ÃÂ][\u0080-\u00bf]/;
// eslint-disable-next-line no-control-regex -- any ASCII title, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/** Repairs UTF-8 text that was decoded as Latin-1 ("AmÃ©lie" → "Amélie"); other text is returned as is. */
export function repairMojibake(text: string): string {
  if (!MOJIBAKE.test(text)) return text;
  const repaired = Buffer.from(text, 'latin1').toString('utf8');
  return repaired.includes('\uFFFD') ? text : repaired;
}

/**
 * The form titles are compared in for matching: mis-encoded accents repaired, accents stripped,
 * lower case, `&` as "and", punctuation as spaces, and a leading or trailing article dropped
 * ("The Matrix", "Matrix, The" and "matrix" are one title).
 */
export function normalizeTitle(title: string): string {
  // Most titles are plain ASCII: no mojibake, nothing for NFKD to decompose, and the only letters
  // and digits are [a-z0-9] once lower-cased, so the cheaper ASCII expressions give the same form
  // (test/matching/normalize-title.test.ts compares the two paths).
  if (ASCII.test(title)) {
    const plain = title.toLowerCase().replace(/&/g, ' and ').replace(/['`]/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
    return withoutArticle(plain);
  }
  return normalizeTitleUnicode(title);
}

/** The form without a leading or trailing article, unless the article is all there is. */
function withoutArticle(plain: string): string {
  return plain.replace(LEADING_ARTICLE, '').replace(TRAILING_ARTICLE, '') || plain;
}

/** The full (Unicode) normalisation, whatever the title: what the ASCII path must agree with. */
export function normalizeTitleUnicode(title: string): string {
  const plain = repairMojibake(title)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return withoutArticle(plain);
}
