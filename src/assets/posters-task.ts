import type { Task } from 'graphile-worker';
import type pg from 'pg';
import type { Config } from '../config.js';
import { defineTask, JOB } from '../jobs.js';
import type { Logger } from '../logger.js';
import { mirrorPosters, type MirrorOutcome } from './mirror.js';
import { posterSettings, type PosterSettings } from './settings.js';
import { localPosterStore, s3PosterStore, type PosterStore } from './store.js';

export function posterStore(settings: PosterSettings): PosterStore | null {
  if (settings.mode === 'local') return localPosterStore(settings.dir);
  if (settings.mode === 's3' && settings.s3) return s3PosterStore(settings.s3);
  return null;
}

/** Mirrors posters as configured; null when POSTER_MIRROR is off. */
export async function runPosterMirror(pool: pg.Pool, config: Config, logger: Logger): Promise<MirrorOutcome | null> {
  const settings = posterSettings(config);
  const store = posterStore(settings);
  if (!store) return null;
  return mirrorPosters({ pool, settings, store, logger });
}

/** The `mirror-posters` task (scheduled by SCHEDULE_POSTERS when POSTER_MIRROR is on). */
export function mirrorPostersTask(pool: pg.Pool, config: () => Config, logger: Logger): Task {
  return defineTask(JOB.mirrorPosters, async (_payload, helpers) => {
    const log = logger.child({ jobId: helpers.job.id });
    const outcome = await runPosterMirror(pool, config(), log);
    if (!outcome) log.info('poster mirror is off (POSTER_MIRROR=off): nothing to do');
  });
}
