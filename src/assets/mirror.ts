import { createHash } from 'node:crypto';
import type pg from 'pg';
import { moviesWithPosters } from '../db/movies.js';
import type { Logger } from '../logger.js';
import { mapConcurrent } from '../sources/concurrent.js';
import { downloadPoster } from './download.js';
import { extensionOf } from './image-type.js';
import { readPosterRecord, writePosterRecord } from './records.js';
import type { PosterSettings } from './settings.js';
import type { PosterStore } from './store.js';

export interface MirrorOutcome {
  mirrored: number;
  unchanged: number;
  failed: number;
}

export interface MirrorOptions {
  pool: pg.Pool;
  settings: PosterSettings;
  store: PosterStore;
  logger: Logger;
  /** A poster that failed is tried again after this long (default a day). */
  retryAfterMs?: number;
  now?: () => Date;
}

interface Candidate {
  id: string;
  posterUrl: string;
}

const BATCH = 500;

/**
 * Copies every movie's poster (movies.poster_url, as providers give it) to the store, at most
 * `concurrency` downloads at a time. A movie whose current poster is already mirrored is left
 * alone; one whose poster changed gets the new one under a new key, so a mirrored URL never
 * changes content and may be cached forever. What happened is recorded per movie (records.ts).
 */
export async function mirrorPosters(options: MirrorOptions): Promise<MirrorOutcome> {
  const { settings, store, logger } = options;
  const now = options.now ?? (() => new Date());
  const retryAfterMs = options.retryAfterMs ?? 24 * 3600_000;
  const outcome: MirrorOutcome = { mirrored: 0, unchanged: 0, failed: 0 };

  const mirrorOne = async ({ id, posterUrl }: Candidate): Promise<keyof MirrorOutcome> => {
    const record = await readPosterRecord(settings.dir, id);
    if (record?.source === posterUrl) {
      if ('url' in record) return 'unchanged';
      if (now().getTime() - Date.parse(record.failedAt) < retryAfterMs) return 'unchanged';
    }
    try {
      const image = await downloadPoster(posterUrl, {
        maxBytes: settings.maxBytes,
        logger: logger.child({ movieId: id }),
        ...(settings.testAllowedAddresses ? { testAllowedAddresses: settings.testAllowedAddresses } : {}),
      });
      const key = `${id.slice(0, 2)}/${id}-${hash(posterUrl)}.${extensionOf(image.contentType)}`;
      const url = await store.put(key, image.body, image.contentType);
      await writePosterRecord(settings.dir, id, {
        source: posterUrl, url, key, contentType: image.contentType, bytes: image.body.length, mirroredAt: now().toISOString(),
      });
      return 'mirrored';
    } catch (error) {
      const message = (error as Error).message;
      logger.warn({ movieId: id, posterUrl, reason: message }, 'poster not mirrored');
      await writePosterRecord(settings.dir, id, { source: posterUrl, error: message, failedAt: now().toISOString() });
      return 'failed';
    }
  };

  for await (const result of mapConcurrent(candidates(options.pool), settings.concurrency, mirrorOne)) outcome[result]++;
  logger.info(outcome, 'posters mirrored');
  return outcome;
}

async function* candidates(pool: pg.Pool): AsyncGenerator<Candidate> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows: Candidate[] = await moviesWithPosters(pool, after, BATCH);
    yield* rows;
    if (rows.length < BATCH) return;
    after = rows.at(-1)!.id;
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
