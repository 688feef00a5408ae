/**
 * Splits a title that ends in a parenthesised other title — MovieLens' and Rotten Tomatoes' way
 * of giving the original-language or a.k.a. title: "Seven (a.k.a. Se7en)" → ["Seven", "a.k.a. Se7en"].
 * Anything else, "(500) Days of Summer" included, is left whole.
 */
export function splitTrailingParenthesis(text: string): [string, string | null] {
  if (!text.endsWith(')')) return [text, null];
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text[i] === ')') depth++;
    else if (text[i] === '(' && --depth === 0) {
      const before = text.slice(0, i);
      const inside = text.slice(i + 1, -1).trim();
      if (!before.trim() || !inside || !/\s$/.test(before)) return [text, null];
      return [before.trim(), inside];
    }
  }
  return [text, null];
}

// Articles providers move behind a comma ("Matrix, The", "Cité des enfants perdus, La", "Avventura, L'").
const MOVED_ARTICLE = /^(.+), (the|a|an|la|le|les|l'|il|i|lo|gli|el|los|las|der|die|das|den|det|de|het|ein|eine|un|une|una|o|os|as)$/i;
const AKA = /^(?:a\.?k\.?a\.?|also known as)\s+/i;

/** "Matrix, The" → "The Matrix", "Avventura, L'" → "L'Avventura"; anything else as it is. */
export function frontMovedArticle(title: string): string {
  const match = MOVED_ARTICLE.exec(title.trim());
  if (!match) return title.trim();
  const article = match[2]!;
  return article.endsWith("'") ? `${article}${match[1]}` : `${article} ${match[1]}`;
}

/**
 * Every title a provider's title text names, each a candidate for matching: the text itself, the
 * part before any trailing parenthesised titles, and each of those ("The Sea Inside (Mar Adentro)
 * (The Sea Within)" names three films titles; "European Vacation (aka National Lampoon's European
 * Vacation)" two; "Shop Around the Corner, The (Alt)" → "The Shop Around the Corner" and "Alt").
 * A leading "aka" is dropped, an article moved behind a comma is put back in front, and a
 * parenthesised year is not a title.
 */
export function alternateTitles(text: string | null | undefined): string[] {
  if (!text?.trim()) return [];
  const out: string[] = [];
  const add = (t: string) => {
    const title = frontMovedArticle(t.replace(AKA, '').trim());
    if (title && !/^\d{4}$/.test(title) && !out.includes(title)) out.push(title);
  };
  add(text);
  let rest = text.trim();
  const inner: string[] = [];
  for (;;) {
    const [before, inside] = splitTrailingParenthesis(rest);
    if (inside === null) break;
    inner.unshift(inside);
    rest = before;
  }
  if (inner.length) {
    add(rest);
    inner.forEach(add);
  }
  return out;
}
