const ARTICLES = ['the', 'a', 'an', 'le', 'la', 'les', 'l', 'el', 'los', 'las', 'il', 'lo', 'der', 'die', 'das', 'de', 'het'];
const LEADING_ARTICLE = new RegExp(`^(?:${ARTICLES.join('|')}) `);
const TRAILING_ARTICLE = new RegExp(` (?:${ARTICLES.join('|')})$`);
// UTF-8 read as Latin-1 turns "é" into "Ã©": these lead bytes betray it.
const MOJIBAKE = /[ÃÂ][\u0080-\u00bf]/;

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
  const plain = repairMojibake(title)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  const withoutArticle = plain.replace(LEADING_ARTICLE, '').replace(TRAILING_ARTICLE, '');
  return withoutArticle || plain;
}
