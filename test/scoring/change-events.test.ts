import { changeEvents } from '../../src/scoring/change-events.js';
import type { RecordInput } from '../../src/scoring/types.js';

/**
 * movie.match_changed: derived from the set of provider records linked to a movie. The first
 * aggregation only remembers the set; a later one whose set differs emits the event with the new
 * links, whether or not the score moved.
 */
const record = (providerKey: string, externalId: string) => ({ providerKey, externalId }) as unknown as RecordInput;

describe('movie change events', () => {
  const imdb = record('imdb', 'tt0117571');
  const rt = record('rottentomatoes', 'm/scream');

  it('remembers the links on the first aggregation without an event, then emits movie.match_changed when they change', () => {
    const first = changeEvents(
      [{ id: 'm1', aggregate_hash: 'a', score_value: 70, links_hash: null }],
      new Map([['m1', [imdb]]]),
      new Map(),
    );
    expect(first.events).toEqual([]);
    expect(first.links).toHaveLength(1);
    const known = first.links[0]!.links_hash;

    const same = changeEvents([{ id: 'm1', aggregate_hash: 'a', score_value: 70, links_hash: known }], new Map([['m1', [imdb]]]), new Map());
    expect(same).toEqual({ links: [], changes: [], events: [] });

    const joined = changeEvents(
      [{ id: 'm1', aggregate_hash: 'a', score_value: 70, links_hash: known }],
      new Map([['m1', [rt, imdb]]]),
      new Map(),
    );
    expect(joined.events).toEqual([
      expect.objectContaining({
        movie_id: 'm1',
        type: 'movie.match_changed',
        data: expect.objectContaining({
          movieId: 'm1',
          links: [
            { provider: 'imdb', externalId: 'tt0117571' },
            { provider: 'rottentomatoes', externalId: 'm/scream' },
          ],
        }),
      }),
    ]);
    expect(joined.links[0]!.links_hash).not.toBe(known);

    const left = changeEvents(
      [{ id: 'm1', aggregate_hash: 'a', score_value: 70, links_hash: joined.links[0]!.links_hash }],
      new Map([['m1', [imdb]]]),
      new Map(),
    );
    expect(left.events.map((e) => e.type)).toEqual(['movie.match_changed']);
    expect(left.links[0]!.links_hash).toBe(known);
  });
});
