// Writes test/fixtures/scoring/realistic-catalogue.json: a catalogue with real-looking provider
// distributions (seeded, so the file is reproducible), for test/scoring-ranking.test.ts.
//
// What it imitates, from the public datasets: IMDb vote counts are log-normal (median in the low
// hundreds, a tail to millions) with ratings bunched around 6.3; MovieLens rates a subset, mostly
// popular films, with many films on a handful of ratings and means around 3.5 stars; Rotten
// Tomatoes critics spread over 0-100 % from a few dozen reviews, the audience bunched higher from
// many more; TMDB averages around 6.4 from fewer votes than IMDb. And the cases that once topped the
// list: films known from a few enthusiastic votes, and single-provider films with a high rating.
import { writeFileSync } from 'node:fs';

let seed = 20261130;
function random() {
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;

const films = [];
for (let i = 0; i < 3000; i++) {
  const quality = normal();
  const thin = random() < 0.08;
  const imdbVotes = thin ? Math.round(5 + random() * 40) : Math.round(clamp(10 ** (2.3 + 1.1 * normal() + 0.25 * quality), 5, 3_000_000));
  const noise = (sd, votes) => normal() * (sd + 2 / Math.sqrt(Math.max(1, votes)));
  // Thin films: a few enthusiasts, so extreme ratings.
  const imdb = thin ? round(clamp(8.5 + random() * 1.5, 1, 10), 1) : round(clamp(6.3 + 0.9 * quality + noise(0.3, imdbVotes), 1, 10), 1);
  const ratings = [['imdb', 'users', imdb, imdbVotes]];
  const popular = imdbVotes > 2000;
  if (random() < (popular ? 0.75 : 0.25)) {
    const votes = thin ? Math.max(1, Math.round(random() * 8)) : Math.max(1, Math.round(imdbVotes / (40 + random() * 160)));
    const stars = thin ? 5 : clamp(3.5 + 0.45 * quality + noise(0.1, votes) * 0.5, 0.5, 5);
    ratings.push(['movielens', 'users', round(stars, 3), votes]);
  }
  if (!thin && random() < (popular ? 0.6 : 0.1)) {
    const critics = Math.round(clamp(10 ** (1.6 + 0.4 * normal()), 5, 450));
    ratings.push(['rottentomatoes', 'critics', Math.round(clamp(60 + 28 * quality + noise(8, critics) * 5, 0, 100)), critics]);
    const audience = Math.round(imdbVotes * (0.5 + random() * 2.5));
    ratings.push(['rottentomatoes', 'audience', Math.round(clamp(66 + 15 * quality + noise(5, audience) * 3, 0, 100)), audience]);
  }
  if (!thin && random() < (popular ? 0.9 : 0.4)) {
    const votes = Math.max(1, Math.round(imdbVotes / (5 + random() * 15)));
    ratings.push(['tmdb', 'users', round(clamp(6.4 + 0.8 * quality + noise(0.3, votes), 0, 10), 1), votes]);
  }
  films.push([`f${i}`, ratings]);
}
// The single-provider film of the report: IMDb only, a high rating from a couple of thousand votes.
films.push(['les-miserables-1934', [['imdb', 'users', 8.6, 2080]]]);
// And a classic MovieLens knows from 27 ratings only.
films.push(['sunset-blvd-ml', [['movielens', 'users', 4.6, 27]]]);

const out = new URL('../test/fixtures/scoring/realistic-catalogue.json', import.meta.url);
writeFileSync(out, `${JSON.stringify({ generatedBy: 'scripts/generate-scoring-fixture.mjs', films }).replace(/\],\["f/g, '],\n["f')}\n`);
console.log(`${films.length} films written to ${out.pathname}`);
