import fc from 'fast-check';
import { normalizeTitle, repairMojibake } from '../../src/matching/normalize-title.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * The search migration's SQL function moviec_search_text (used for locked curated titles, which
 * only exist in the movies table) must normalise exactly like normalizeTitle (every other title,
 * stored in movie_titles.normalized), or a locked title would be found by other queries than the
 * same title unlocked. This test keeps the two in step.
 */
describe('moviec_search_text (SQL) agrees with normalizeTitle (TypeScript)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  async function sqlNormalize(titles: string[]): Promise<string[]> {
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT moviec_search_text(t) AS n FROM unnest($1::text[]) WITH ORDINALITY AS x(t, i) ORDER BY i`,
      [titles],
    );
    return rows.map((r) => r.n);
  }

  const TITLES = [
    'The Godfather', 'Godfather, The', 'the godfather', 'GODFATHER', 'A Beautiful Mind', 'An American in Paris',
    'Amélie', 'Le Fabuleux Destin d’Amélie Poulain', "L'Auberge espagnole", 'El laberinto del fauno', 'Los Olvidados',
    'Das Boot', 'Der Untergang', 'Die Hard', 'La Dolce Vita', 'Les Misérables', 'Il Postino', 'Lo chiamavano Jeeg Robot',
    'De helaasheid der dingen', 'Het Bombardement', 'Fast & Furious', 'Tom & Jerry: The Movie', 'Mr. & Mrs. Smith',
    "Schindler's List", 'Ocean’s Eleven', 'Rock `n` Roll', 'WALL·E', 'Se7en', '2001: A Space Odyssey', '8½',
    'M*A*S*H', 'Crouching Tiger, Hidden Dragon', 'Léon: The Professional', 'Cidade de Deus', 'Çağan', 'Ñandú',
    'Smrt úředníka', 'Zażółć gęślą', 'Şahin', 'Ğökçe', 'Ťťřŕ', 'Åsa-Nisse', 'Čapek', '  spaced   out  ',
    '!!!', '...', 'The', 'A', 'The The', 'Jo Jo Rabbit the', 'Crème brûlée', 'Naïve', 'Señorita', 'Ça ira',
  ];

  it('on a corpus of real and awkward titles', async () => {
    const expected = TITLES.map(normalizeTitle);
    expect(await sqlNormalize(TITLES)).toEqual(expected);
  });

  // Latin letters with and without accents, upper and lower case, and the punctuation titles use.
  const ALPHABET = [
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
    ...'àáâãäåāăąèéêëēĕėęěìíîïĩīĭįòóôõöōŏőùúûüũūŭůűųýÿçćĉċčñńņňśŝşšźżžğĝģĥĵķĺļľŕŗřţťŵŷ',
    ...'ÀÉÎÕÜÇÑŠŽ',
    ..." '’`&.,:;!?-–()[]/\\\"*+#@%",
  ];
  const WORDS = ['the ', 'a ', 'an ', 'le ', 'la ', 'les ', 'l ', 'el ', 'der ', 'die ', 'das ', 'de ', 'het ', ' the', ', the'];

  it('on random titles over that alphabet, articles included', async () => {
    const title = fc
      .tuple(
        fc.constantFrom('', ...WORDS),
        fc.array(fc.constantFrom(...ALPHABET), { maxLength: 24 }).map((chars) => chars.join('')),
        fc.constantFrom('', ...WORDS),
      )
      .map(([a, b, c]) => `${a}${b}${c}`);
    const samples = fc.sample(title, { numRuns: 2000, seed: 20261121 });
    const sql = await sqlNormalize(samples);
    const mismatches = samples
      .map((s, i) => ({ title: s, ts: normalizeTitle(s), sql: sql[i] }))
      .filter((m) => m.ts !== m.sql);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('on random titles in the scripts titles are written in, with symbols and emoji', async () => {
    // Whole blocks of long-assigned characters: Node's and ICU's Unicode tables agree on them. (On
    // code points assigned in recent Unicode versions, or letter-like numbers such as Oriya
    // fractions, the two tables can differ; no title of any provider uses them.)
    const BLOCKS: [number, number][] = [
      [0x20, 0x7e], [0xa0, 0x17f], [0x370, 0x3ff], [0x400, 0x4ff], [0x5d0, 0x5ea], [0x620, 0x64a],
      [0x905, 0x939], [0x3041, 0x3096], [0x30a1, 0x30fa], [0x4e00, 0x9fa5], [0xac00, 0xd7a3],
      [0x2010, 0x2027], [0x1f600, 0x1f64f],
    ];
    const char = fc.constantFrom(...BLOCKS).chain(([from, to]) => fc.integer({ min: from, max: to })).map((cp) => String.fromCodePoint(cp));
    // Text with mis-encoded accents ("AmÃ©lie") is repaired by the TypeScript before it is stored;
    // the SQL function is never given it.
    const title = fc
      .array(char, { maxLength: 30 })
      .map((chars) => chars.join(''))
      .filter((t) => repairMojibake(t) === t);
    const samples = fc.sample(title, { numRuns: 3000, seed: 1121 });
    const sql = await sqlNormalize(samples);
    const mismatches = samples
      .map((t, i) => ({ title: t, ts: normalizeTitle(t), sql: sql[i] }))
      .filter((m) => m.ts !== m.sql);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
