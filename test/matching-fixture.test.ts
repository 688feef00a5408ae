import { matchByTitle, type TitleQuery } from '../src/matching/title-match.js';
import { normalizeTitle, repairMojibake } from '../src/matching/normalize-title.js';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from './support/imdb-files.js';
import { importImdb } from './support/pipeline.js';

// The catalogue the other providers' rows are matched against (imported as IMDb files).
const CATALOGUE: Title[] = [
  { tconst: 'tt1000001', title: 'The Silent Harbor', year: 1994 },
  { tconst: 'tt1000002', title: 'Amélie', original: "Le Fabuleux Destin d'Amélie Poulain", year: 2001 },
  { tconst: 'tt1000003', title: 'Iron Valley', year: 1987 },
  { tconst: 'tt1000004', title: 'Iron Valley', year: 2019 },
  { tconst: 'tt1000005', title: 'Fast & Furious', year: 2009 },
  { tconst: 'tt1000006', title: 'Crouching Tiger, Hidden Dragon', original: 'Wo hu cang long', year: 2000 },
  { tconst: 'tt1000007', title: 'Spider-Man', year: 2002 },
  { tconst: 'tt1000008', title: 'The Thing', year: 1982 },
  { tconst: 'tt1000009', title: 'The Thing', year: 2011 },
  { tconst: 'tt1000010', title: 'Hamlet', year: 1990 },
  { tconst: 'tt1000011', title: 'Hamlet', year: 1990 },
  { tconst: 'tt1000012', title: 'Léon: The Professional', original: 'Léon', year: 1994 },
  { tconst: 'tt1000013', title: 'Midnight in Lisbon', year: 2011 },
  { tconst: 'tt1000014', title: 'Midnight in Paris', year: 2011 },
  { tconst: 'tt1000015', title: 'Schindler’s List', year: 1993 },
  { tconst: 'tt1000016', title: 'WALL·E', year: 2008 },
  { tconst: 'tt1000017', title: 'Das Boot', year: 1981 },
  { tconst: 'tt1000018', title: 'Star Wars: Episode IV - A New Hope', original: 'Star Wars', year: 1977 },
  { tconst: 'tt1000019', title: 'Se7en', year: 1995 },
  { tconst: 'tt1000020', title: 'Ocean’s Eleven', year: 2001 },
  { tconst: 'tt1000021', title: "Ocean's Eleven", year: 1960 },
  { tconst: 'tt1000022', title: 'The Good, the Bad and the Ugly', original: 'Il buono, il brutto, il cattivo', year: 1966 },
  { tconst: 'tt1000023', title: 'Cidade de Deus', year: 2002 },
  { tconst: 'tt1000024', title: 'The Lord of the Rings: The Fellowship of the Ring', year: 2001 },
  { tconst: 'tt1000025', title: 'The Lord of the Rings: The Two Towers', year: 2002 },
  { tconst: 'tt1000026', title: 'Psycho', year: 1960 },
  { tconst: 'tt1000027', title: 'Psycho', year: 1998 },
  { tconst: 'tt1000028', title: 'Pokémon: The First Movie', year: 1998 },
  { tconst: 'tt1000029', title: 'Mission: Impossible', year: 1996 },
  { tconst: 'tt1000030', title: 'Mission: Impossible II', year: 2000 },
];

// Rows from providers without shared ids, labelled with the film they really are (null: none, or
// not decidable from title and year).
const LABELLED: [title: string, year: number | null, expected: string | null][] = [
  ['the silent harbor', 1994, 'tt1000001'], // case
  ['Silent Harbor, The', 1995, 'tt1000001'], // trailing article, year +1
  ['The Silent Harbor', 1993, 'tt1000001'], // year -1
  ['AmÃ©lie', 2001, 'tt1000002'], // mis-encoded accent
  ['Amelie', 2001, 'tt1000002'], // accent dropped
  ["Le fabuleux destin d'Amelie Poulain", 2001, 'tt1000002'], // original title
  ['Iron Valley', 1987, 'tt1000003'], // remake pair: the original
  ['Iron Valley', 2019, 'tt1000004'], // remake pair: the remake
  ['Iron Valley', 2003, null], // same title, no film within a year
  ['Fast and Furious', 2009, 'tt1000005'], // & / and
  ['Crouching Tiger Hidden Dragon', 2000, 'tt1000006'], // punctuation
  ['Spider Man', 2002, 'tt1000007'], // hyphen
  ['The Thing', 1982, 'tt1000008'],
  ['The Thing', 2011, 'tt1000009'],
  ['Hamlet', 1990, null], // two films, same title and year: ambiguous
  ['Leon: The Professional', 1994, 'tt1000012'],
  ['Léon', 1994, 'tt1000012'],
  ['Midnight in Lisbon', 2011, 'tt1000013'], // near-identical sibling title
  ['Midnight in Paris', 2011, 'tt1000014'],
  ["Schindler's List", 1993, 'tt1000015'], // typographic vs straight apostrophe
  ['Wall-E', 2008, 'tt1000016'],
  ['Boot, Das', 1981, 'tt1000017'], // German article moved
  ['Star Wars', 1977, 'tt1000018'],
  ['Se7en', 1995, 'tt1000019'],
  ["Ocean's Eleven", 2001, 'tt1000020'], // remake, typographic apostrophe in the catalogue
  ["Ocean's Eleven", 1960, 'tt1000021'],
  ['The Good, The Bad And The Ugly', 1966, 'tt1000022'],
  ['City of God', 2002, null], // translated title the catalogue does not know
  ['Cidade de Deus', 2002, 'tt1000023'],
  ['The Lord of the Rings: The Two Towers', 2002, 'tt1000025'],
  ['Psycho', 1998, 'tt1000027'],
  ['Psycho', 1960, 'tt1000026'],
  ['POKEMON: THE FIRST MOVIE', 1998, 'tt1000028'],
  ['Mission Impossible', 1996, 'tt1000029'],
  ['Mission: Impossible II', 2000, 'tt1000030'],
  ['Mission: Impossible 2', 2000, 'tt1000030'], // numeral spelled differently
  ['A Film Only Rotten Tomatoes Has', 2005, null], // present in one provider only
  ['Harbor', 1994, null], // a different, shorter title
  ['The Silent Harbor', null, null], // no year: cannot tell remakes apart
  ['Lord of the Rings', 2001, null], // too vague
];

describe('title + year matching on a labelled fixture', () => {
  let db: TestDatabase;
  let results: Map<string, Awaited<ReturnType<typeof matchByTitle>> extends Map<string, infer V> ? V : never>;
  let movieByImdb: Map<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const files = await writeFiles(await tempDir(), { 'basics.tsv': basicsTsv(CATALOGUE), 'ratings.tsv': ratingsTsv([]) });
    const run = await importImdb(db.pool, files['basics.tsv']!, files['ratings.tsv']!);
    expect(run.status).toBe('SUCCEEDED');
    const { rows } = await db.pool.query<{ id: string; imdb_id: string }>('SELECT id, imdb_id FROM movies');
    movieByImdb = new Map(rows.map((r) => [r.imdb_id, r.id]));
    const queries: TitleQuery[] = LABELLED.map(([title, year], i) => ({ recordId: String(i), title, originalTitle: null, year }));
    results = await matchByTitle(db.pool, queries);
  });
  afterAll(() => db.drop());

  it('has precision 1.0 and recall of at least 0.95', () => {
    let truePositives = 0;
    let falsePositives = 0;
    let falseNegatives = 0;
    const wrong: string[] = [];
    LABELLED.forEach(([title, year, expected], i) => {
      const result = results.get(String(i))!;
      const got = result.kind === 'matched' ? result.movieId : null;
      const want = expected ? movieByImdb.get(expected)! : null;
      if (got && got === want) truePositives++;
      else if (got) {
        falsePositives++;
        wrong.push(`false match: "${title}" (${year}) -> ${got}`);
      } else if (want) {
        falseNegatives++;
        wrong.push(`missed: "${title}" (${year}) [${result.kind}: ${'reason' in result ? result.reason : ''}]`);
      }
    });
    const precision = truePositives / Math.max(1, truePositives + falsePositives);
    const recall = truePositives / Math.max(1, truePositives + falseNegatives);
    console.log(
      `matching fixture: ${LABELLED.length} rows, precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}` +
        (wrong.length ? `\n  ${wrong.join('\n  ')}` : ''),
    );
    expect(precision).toBe(1);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it('says why a row is ambiguous or unmatched', () => {
    const hamlet = results.get(String(LABELLED.findIndex(([t]) => t === 'Hamlet')))!;
    expect(hamlet.kind).toBe('ambiguous');
    expect(hamlet).toMatchObject({ reason: expect.stringMatching(/^"Hamlet" \(1990\): 2 movies match equally well/) });
    const lonely = results.get(String(LABELLED.findIndex(([t]) => t.startsWith('A Film Only'))))!;
    expect(lonely).toEqual({ kind: 'none', reason: expect.stringContaining('no movie with a similar title within a year') });
  });
});

describe('title normalisation', () => {
  it.each([
    ['The Matrix', 'Matrix, The'],
    ['Amélie', 'AmÃ©lie'],
    ['Fast & Furious', 'fast and furious'],
    ['Schindler’s List', "Schindler's List"],
  ])('"%s" and "%s" are one title', (a, b) => {
    expect(normalizeTitle(a)).toBe(normalizeTitle(b));
  });

  it('repairs only text that really is mis-encoded', () => {
    expect(repairMojibake('CafÃ©')).toBe('Café');
    expect(repairMojibake('Ã la carte')).toBe('Ã la carte');
  });
});
