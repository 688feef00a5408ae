import { matchByTitle, type TitleQuery } from '../../src/matching/title-match.js';
import { normalizeTitle, repairMojibake } from '../../src/matching/normalize-title.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from '../support/imdb-files.js';
import { importImdb } from '../support/pipeline.js';

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
  // Real public titles of the classes that failed on real provider data (issue 14).
  // Sequels and numbering.
  { tconst: 'tt1179904', title: 'Paranormal Activity', year: 2007, runtime: 86 },
  { tconst: 'tt1536044', title: 'Paranormal Activity 2', year: 2010, runtime: 91 },
  { tconst: 'tt0139134', title: 'Cruel Intentions', year: 1999, runtime: 97 },
  { tconst: 'tt0206420', title: 'Cruel Intentions 2', year: 2000, runtime: 87 },
  { tconst: 'tt0091203', title: 'Highlander', year: 1986 },
  { tconst: 'tt0102034', title: 'Highlander II: The Quickening', year: 1991 },
  { tconst: 'tt1196141', title: 'Diary of a Wimpy Kid', year: 2010 },
  { tconst: 'tt1650043', title: 'Diary of a Wimpy Kid: Rodrick Rules', year: 2011 },
  { tconst: 'tt0101587', title: 'City Slickers', year: 1991 },
  { tconst: 'tt0109439', title: "City Slickers II: The Legend of Curly's Gold", year: 1994 },
  { tconst: 'tt0103644', title: 'Alien³', year: 1992 },
  { tconst: 'tt0090605', title: 'Aliens', year: 1986 },
  { tconst: 'tt0479884', title: 'Crank', year: 2006 },
  { tconst: 'tt1121931', title: 'Crank: High Voltage', year: 2009 },
  { tconst: 'tt0110857', title: 'Police Academy: Mission to Moscow', year: 1994 },
  { tconst: 'tt0106598', title: 'Cop and a Half', year: 1993 },
  { tconst: 'tt0110357', title: 'The Lion King', year: 1994 },
  { tconst: 'tt0318403', title: 'The Lion King 1½', year: 2004 },
  { tconst: 'tt0068646', title: 'The Godfather', year: 1972 },
  { tconst: 'tt0071562', title: 'The Godfather Part II', year: 1974 },
  { tconst: 'tt0114709', title: 'Toy Story', year: 1995 },
  { tconst: 'tt0120363', title: 'Toy Story 2', year: 1999 },
  { tconst: 'tt0266697', title: 'Kill Bill: Vol. 1', year: 2003 },
  { tconst: 'tt0378194', title: 'Kill Bill: Vol. 2', year: 2004 },
  { tconst: 'tt0926084', title: 'Harry Potter and the Deathly Hallows: Part 1', year: 2010 },
  { tconst: 'tt1201607', title: 'Harry Potter and the Deathly Hallows: Part 2', year: 2011 },
  { tconst: 'tt0349903', title: "Ocean's Twelve", year: 2004 },
  { tconst: 'tt0110622', title: 'Naked Gun 33⅓: The Final Insult', year: 1994 },
  { tconst: 'tt1245112', title: '[REC]²', year: 2009 },
  { tconst: 'tt1038988', title: '[REC]', year: 2007 },
  { tconst: 'tt0099423', title: 'Die Hard 2', year: 1990 },
  { tconst: 'tt0095016', title: 'Die Hard', year: 1988 },
  { tconst: 'tt0175142', title: 'Scary Movie', year: 2000 },
  { tconst: 'tt0257106', title: 'Scary Movie 2', year: 2001 },
  { tconst: 'tt0108394', title: 'Three Colors: Blue', year: 1993 },
  { tconst: 'tt0111495', title: 'Three Colors: Red', year: 1994 },
  { tconst: 'tt0111507', title: 'Three Colors: White', year: 1994 },
  // Alternate titles.
  { tconst: 'tt0369702', title: 'The Sea Inside', original: 'Mar adentro', year: 2004 },
  { tconst: 'tt0368909', title: 'The Protector', original: 'Tom yum goong', year: 2005 },
  { tconst: 'tt0089670', title: "National Lampoon's European Vacation", year: 1985 },
  { tconst: 'tt0033045', title: 'The Shop Around the Corner', year: 1940 },
  // Same title, films a year apart; remakes.
  { tconst: 'tt3090670', title: 'Eden', year: 2014, runtime: 131 },
  { tconst: 'tt3856124', title: 'Eden', year: 2015, runtime: 98 },
  { tconst: 'tt0087538', title: 'The Karate Kid', year: 1984 },
  { tconst: 'tt1155076', title: 'The Karate Kid', year: 2010 },
  // Contradicting ids: Disney's Frozen, and a film only a record's own id can name.
  { tconst: 'tt2294629', title: 'Frozen', year: 2013 },
];

// Rows from providers without shared ids, labelled with the film they really are (null: none, or
// not decidable from title and year).
const LABELLED: [title: string, year: number | null, expected: string | null, extra?: Partial<TitleQuery>][] = [
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
  // Sequels never join their originals, whatever the similarity.
  ['Paranormal Activity', 2010, null], // Rotten Tomatoes' year; only the sequel is within a year
  ['Paranormal Activity 2', 2010, 'tt1536044'],
  ['Cruel Intentions 2', 2000, 'tt0206420'],
  ['Cruel Intentions 3', 2000, null], // a sequel the catalogue does not have
  ['Cruel Intentions', 1999, 'tt0139134'],
  ['Toy Story', 1999, null],
  ['Toy Story 2', 1999, 'tt0120363'],
  ['Kill Bill: Volume 1', 2003, 'tt0266697'],
  ['Kill Bill: Volume 2', 2004, 'tt0378194'],
  ['Kill Bill: Vol. 2', 2003, 'tt0378194'],
  ['Harry Potter and the Deathly Hallows - Part 2', 2011, 'tt1201607'],
  ['Harry Potter and the Deathly Hallows: Part One', 2010, 'tt0926084'],
  ["Ocean's 12", 2004, 'tt0349903'],
  ['Scary Movie', 2001, 'tt0175142'], // a year late, never the sequel of that year
  ['Scary Movie 2', 2001, 'tt0257106'],
  ['Three Colors: Red', 1994, 'tt0111495'], // series: a different subtitle is a different film
  ['Three Colours: White', 1994, 'tt0111507'],
  ['Three Colors', 1994, null],
  // Numbering: Arabic, Roman, spelled, superscript, "Part N"; fractions are title.
  ['Die Hard 2: Die Harder', 1990, 'tt0099423'],
  ['Die Hard II', 1990, 'tt0099423'],
  ['Highlander 2: The Quickening', 1991, 'tt0102034'],
  ['Highlander', 1991, null],
  ['Diary of a Wimpy Kid 2: Rodrick Rules', 2011, 'tt1650043'],
  ['Diary of a Wimpy Kid', 2010, 'tt1196141'],
  ["City Slickers 2 - The Legend of Curly's Gold", 1994, 'tt0109439'],
  ['Alien3', 1992, 'tt0103644'],
  ['Alien 3', 1992, 'tt0103644'],
  ['Crank 2: High Voltage', 2009, 'tt1121931'],
  ['Police Academy 7: Mission to Moscow', 1994, 'tt0110857'],
  ['Cop & ½', 1993, 'tt0106598'],
  ['The Lion King 1 1/2', 2004, 'tt0318403'],
  ['The Lion King', 1994, 'tt0110357'],
  ['Godfather: Part II, The', 1974, 'tt0071562'],
  ['The Godfather Part 2', 1974, 'tt0071562'],
  ['The Godfather', 1973, 'tt0068646'],
  ['Naked Gun 33 1/3: The Final Insult', 1994, 'tt0110622'],
  ['[REC] 2', 2009, 'tt1245112'],
  // Alternate titles: parenthesised, aka, "Title, The (Alt)".
  ['The Sea Inside (Mar Adentro) (The Sea Within)', 2004, 'tt0369702'],
  ['The Protector (Tom yum goong) (Warrior King)', 2005, 'tt0368909'],
  ["European Vacation (aka National Lampoon's European Vacation)", 1985, 'tt0089670'],
  ['Shop Around the Corner, The (Little Shop, The)', 1940, 'tt0033045'],
  ['Seven (a.k.a. Se7en)', 1995, 'tt1000019'],
  // Same-title films a year apart: evidence decides, or nothing does.
  ['Eden', 2014, 'tt3090670', { runtimeMinutes: 131 }],
  ['Eden', 2015, 'tt3856124', { runtimeMinutes: 98 }],
  ['Eden', 2015, null], // without evidence: either film
  ['The Karate Kid', 2010, 'tt1155076'],
  ['Karate Kid, The', 1984, 'tt0087538'],
  // Contradicting ids: a record naming another film's id never joins by title.
  ['The Frozen', 2012, null, { ids: [{ provider: 'imdb', id: 'tt2363213' }] }],
  ['Frozen', 2013, 'tt2294629', { ids: [{ provider: 'imdb', id: 'tt2294629' }] }],
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
    const queries: TitleQuery[] = LABELLED.map(([title, year, , extra], i) => ({ recordId: String(i), title, originalTitle: null, year, ...extra }));
    results = await matchByTitle(db.pool, queries);
  });
  afterAll(() => db.drop());

  it('has precision 1.0 and recall of at least 0.97', () => {
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
    expect(recall).toBeGreaterThanOrEqual(0.97);
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
