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
