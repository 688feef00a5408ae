import { splitTrailingParenthesis } from './title-parts.js';

export interface MovieLensTitle {
  title: string;
  originalTitle: string | null;
  year: number | null;
}

const YEAR_SUFFIX = /^(.*?)\s*\((\d{4})(?:\s*[-–]\s*(?:\d{4})?)?\s*\)$/;
// Articles MovieLens moves behind a comma, as they are capitalised there.
const ARTICLES = [
  'The', 'A', 'An', 'La', 'Le', 'Les', "L'", 'Il', 'I', 'Lo', 'Gli', 'El', 'Los', 'Las', 'Der', 'Die', 'Das', 'Den', 'Det',
  'De', 'Het', 'Ein', 'Eine', 'Un', 'Une', 'Una', 'O', 'Os', 'As',
];
const TRAILING_ARTICLE = new RegExp(`^(.+), (${ARTICLES.join('|')})$`);

/**
 * Splits a MovieLens title — "Title (Year)", or "Title (Other Title) (Year)" — into its parts.
 *
 * MovieLens moves a leading article to the end ("Matrix, The", "Cité des enfants perdus, La",
 * "Avventura, L'"); it is moved back. The parenthesised other title is usually the original
 * language title, sometimes an "a.k.a." title; either way it is kept as the original title, the
 * second title matching compares. Titles without a year (a few, e.g. "Babylon 5") keep year null.
 */
export function parseMovieLensTitle(raw: string): MovieLensTitle {
  let rest = raw.trim();
  let year: number | null = null;
  const withYear = YEAR_SUFFIX.exec(rest);
  if (withYear && withYear[1] && Number(withYear[2]) >= 1870 && Number(withYear[2]) <= 2200) {
    rest = withYear[1];
    year = Number(withYear[2]);
  }
  const [main, other] = splitTrailingParenthesis(rest);
  return {
    title: frontArticle(main),
    originalTitle: other ? frontArticle(other.replace(/^a\.k\.a\.?\s+/i, '')) : null,
    year,
  };
}

function frontArticle(title: string): string {
  const match = TRAILING_ARTICLE.exec(title);
  if (!match) return title;
  const article = match[2]!;
  return article.endsWith("'") ? `${article}${match[1]}` : `${article} ${match[1]}`;
}
