import type { JobHelpers, Task } from 'graphile-worker';
import { z } from 'zod';

/**
 * The job catalogue: every Graphile Worker job MovieC queues or runs, by name, with its payload's
 * schema. Code names jobs through JOB and builds payloads of these types (the SQL that queues them
 * takes the name as a parameter); each task validates its payload here before it runs
 * (defineTask), so a malformed job fails with a clear message instead of doing half its work.
 * (Graphile Worker's global `GraphileWorker.Tasks` typing is not used: it would declare payloads
 * typed before anything has checked them.)
 */
export const JOB_PAYLOADS = {
  /** Runs import run `runId` (queued with the run, src/services/import.ts). */
  ingest: z.object({ runId: z.string().regex(/^\d{1,19}$/, 'an import run id') }),
  /** Aggregates one movie; job key `aggregate:<movieId>`, so bursts of changes collapse. */
  'aggregate-movie': z.object({ movieId: z.uuid() }),
  /** Aggregates a chunk of movies (a large import). */
  'aggregate-movies': z.object({ movieIds: z.array(z.uuid()).min(1).max(10_000) }),
  /**
   * Aggregates a first load (an import into an empty catalogue: every movie is new): the whole
   * catalogue rebuilt in bulk, or else its never-aggregated movies queued as `aggregate-movies`
   * chunks (services/aggregation.ts aggregateFirstLoad); job key `aggregate:first-load`.
   */
  'aggregate-first-load': z.object({}),
  /** Retries title matching for rows that wait for a movie. */
  'rematch-unmatched': z.object({}),
  /** A provider's scheduled import (crontab, src/schedule/schedules.ts). */
  'scheduled-import': z.object({
    provider: z.string().min(1).max(60),
    location: z.record(z.string().max(100), z.string().max(4096)),
  }),
  /** Copies posters to the configured mirror (crontab, or `moviec mirror-posters`). */
  'mirror-posters': z.object({}),
  /**
   * Refits the scoring priors and calibrations after imports (src/scoring/priors.ts); job key
   * `refit-scoring`, queued a few seconds out and pushed back by each import (a debounce).
   */
  'refit-scoring': z.object({}),
  /**
   * Sends one movie's pending webhook deliveries to one webhook, in order (queued by aggregation
   * in SQL, moviec_movie_events; job key and queue `webhook:<webhookId>:<movieId>`).
   */
  'webhook-deliver': z.object({ webhookId: z.string().regex(/^\d{1,18}$/, 'a webhook id'), movieId: z.uuid().nullable().optional() }),
} as const;

export type JobName = keyof typeof JOB_PAYLOADS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOB_PAYLOADS)[N]>;

/** Job names by what they do, for code. */
export const JOB = {
  ingest: 'ingest',
  aggregateMovie: 'aggregate-movie',
  aggregateMovies: 'aggregate-movies',
  aggregateFirstLoad: 'aggregate-first-load',
  rematchUnmatched: 'rematch-unmatched',
  scheduledImport: 'scheduled-import',
  mirrorPosters: 'mirror-posters',
  refitScoring: 'refit-scoring',
  webhookDeliver: 'webhook-deliver',
} as const satisfies Record<string, JobName>;

/** The jobs that aggregate movies. */
export const AGGREGATION_JOBS: readonly JobName[] = [JOB.aggregateMovie, JOB.aggregateMovies, JOB.aggregateFirstLoad];

/** What `moviec import` waits for: the aggregation, and the scoring refit the import caused. */
export const IMPORT_FOLLOW_UP_JOBS: readonly JobName[] = [...AGGREGATION_JOBS, JOB.refitScoring];

/** Job keys: one queued job per run or movie at a time. */
export const jobKey = {
  ingest: (runId: string) => `ingest:${runId}`,
  aggregateMovie: (movieId: string) => `aggregate:${movieId}`,
  aggregateFirstLoad: 'aggregate:first-load',
};

/** What Graphile Worker adds to the payload of a job its crontab queued. */
const cronMetadata = z.object({ _cron: z.object({ ts: z.string(), backfilled: z.boolean().optional() }) });

/** When a crontab job was due (Graphile Worker's `_cron.ts`), or null for a job queued otherwise. */
export function cronFireTime(payload: unknown): { at: Date; backfilled: boolean } | null {
  const parsed = cronMetadata.safeParse(payload);
  if (!parsed.success) return null;
  const at = new Date(parsed.data._cron.ts);
  return Number.isNaN(at.getTime()) ? null : { at, backfilled: parsed.data._cron.backfilled ?? false };
}

/** A job whose payload does not fit the catalogue: the job fails (and is retried) with this message. */
export class JobPayloadError extends Error {
  readonly code = 'INVALID_JOB_PAYLOAD';
  override readonly name = 'JobPayloadError';
  constructor(job: JobName, issues: string) {
    super(`Job ${job} has an invalid payload: ${issues}`);
  }
}

/** A Graphile Worker task for a catalogued job: its payload is validated, then typed, before the handler runs. */
export function defineTask<N extends JobName>(
  name: N,
  handler: (payload: JobPayload<N>, helpers: JobHelpers) => Promise<void> | void,
): Task {
  const schema = JOB_PAYLOADS[name];
  return async (payload, helpers) => {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      throw new JobPayloadError(name, parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '));
    }
    await handler(parsed.data as JobPayload<N>, helpers);
  };
}
