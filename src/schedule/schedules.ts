import { parseCronItems, type CronItem, type ParsedCronItem } from 'graphile-worker';
import { ConfigError, type Config } from '../config.js';
import type { ProviderKey, SourceLocation } from '../sources/types.js';

export const SCHEDULED_IMPORT_TASK = 'scheduled-import';
export const MIRROR_POSTERS_TASK = 'mirror-posters';

/** One recurring job, as configured (times are UTC, as Graphile Worker evaluates cron). */
export interface Schedule {
  /** Graphile Worker's crontab identifier and the job key, e.g. `import-imdb`. */
  identifier: string;
  task: string;
  cron: string;
  payload: Record<string, unknown>;
  /** Why it is on: the variable that set it, or the default rule. */
  reason: string;
  /** A run missed while no worker was up (a deploy at 02:00) still fires at start if it was due this recently. */
  catchUpMs: number;
}

interface ScheduleRule {
  identifier: string;
  variable: keyof Config & `SCHEDULE_${string}`;
  defaultCron: string;
  defaultReason: string;
  catchUpMs: number;
  /** The job's payload when the feature is configured, else why not (`inconsistent`: an error in any case). */
  plan(config: Config): { payload: Record<string, unknown> } | { missing: string; inconsistent?: true };
}

const HOUR = 3600_000;
/** Nightly imports missed by up to 12 hours, hourly jobs by up to one, run when a worker starts. */
const NIGHTLY_CATCH_UP = 12 * HOUR;
const HOURLY_CATCH_UP = HOUR;

const importPayload = (provider: ProviderKey, location: SourceLocation) => ({ payload: { provider, location } });

const RULES: ScheduleRule[] = [
  {
    identifier: 'import-imdb',
    catchUpMs: NIGHTLY_CATCH_UP,
    variable: 'SCHEDULE_IMDB',
    defaultCron: '0 2 * * *',
    defaultReason: 'nightly, IMDB_BASICS_URL and IMDB_RATINGS_URL are set',
    plan: ({ IMDB_BASICS_URL: basics, IMDB_RATINGS_URL: ratings }) => {
      if (basics && ratings) return importPayload('imdb', { basics, ratings });
      if (basics || ratings) return { missing: 'IMDB_BASICS_URL and IMDB_RATINGS_URL must be set together', inconsistent: true };
      return { missing: 'IMDB_BASICS_URL and IMDB_RATINGS_URL are not set' };
    },
  },
  {
    identifier: 'import-rottentomatoes',
    catchUpMs: NIGHTLY_CATCH_UP,
    variable: 'SCHEDULE_ROTTENTOMATOES',
    defaultCron: '30 2 * * *',
    defaultReason: 'nightly, ROTTENTOMATOES_FILE is set',
    plan: ({ ROTTENTOMATOES_FILE: file }) => (file ? importPayload('rottentomatoes', { file }) : { missing: 'ROTTENTOMATOES_FILE is not set' }),
  },
  {
    identifier: 'import-movielens',
    catchUpMs: NIGHTLY_CATCH_UP,
    variable: 'SCHEDULE_MOVIELENS',
    defaultCron: '0 3 * * *',
    defaultReason: 'nightly, MOVIELENS_DIR is set',
    plan: ({ MOVIELENS_DIR: dir }) => (dir ? importPayload('movielens', { dir }) : { missing: 'MOVIELENS_DIR is not set' }),
  },
  {
    // No location: the TMDB adapter reads the changes since its last successful run.
    identifier: 'import-tmdb',
    catchUpMs: HOURLY_CATCH_UP,
    variable: 'SCHEDULE_TMDB',
    defaultCron: '15 * * * *',
    defaultReason: 'hourly changes, TMDB_API_TOKEN is set',
    plan: ({ TMDB_API_TOKEN: token }) => (token ? importPayload('tmdb', {}) : { missing: 'TMDB_API_TOKEN is not set' }),
  },
  {
    identifier: 'mirror-posters',
    catchUpMs: HOURLY_CATCH_UP,
    variable: 'SCHEDULE_POSTERS',
    defaultCron: '45 * * * *',
    defaultReason: 'hourly, POSTER_MIRROR is on',
    plan: ({ POSTER_MIRROR: mode }) => (mode !== 'off' ? { payload: {} } : { missing: 'POSTER_MIRROR is off' }),
  },
];

/**
 * The recurring jobs the configuration asks for: each provider whose input is configured is
 * imported on its default schedule unless SCHEDULE_<PROVIDER> names another cron expression or
 * `off`. A schedule set for a provider that is not configured is a configuration error.
 */
export function plannedSchedules(config: Config): Schedule[] {
  const schedules: Schedule[] = [];
  const problems: string[] = [];
  for (const rule of RULES) {
    const configured = config[rule.variable];
    if (configured === 'off') continue;
    const plan = rule.plan(config);
    if ('missing' in plan) {
      if (configured) problems.push(`  ${rule.variable}: is "${configured}" but ${plan.missing}`);
      else if (plan.inconsistent) problems.push(`  ${plan.missing}`);
      continue;
    }
    schedules.push({
      identifier: rule.identifier,
      task: rule.identifier === 'mirror-posters' ? MIRROR_POSTERS_TASK : SCHEDULED_IMPORT_TASK,
      cron: configured ?? rule.defaultCron,
      payload: plan.payload,
      reason: configured ? `${rule.variable}` : `default: ${rule.defaultReason}`,
      catchUpMs: rule.catchUpMs,
    });
  }
  if (problems.length) throw new ConfigError(`Invalid schedule configuration:\n${problems.join('\n')}`);
  return schedules;
}

/** The schedules as Graphile Worker's crontab; a bad cron expression is a ConfigError naming its variable. */
export function workerSchedules(config: Config): ParsedCronItem[] {
  return plannedSchedules(config).map((schedule) => {
    const item: CronItem = {
      task: schedule.task,
      match: schedule.cron,
      identifier: schedule.identifier,
      payload: schedule.payload,
      // Backfill only fires times a worker missed (Graphile Worker remembers the last execution per
      // identifier), and the job key collapses several missed times into one job: after downtime,
      // one catch-up import, never a queue of them. The task itself skips while a run is active.
      options: { backfillPeriod: schedule.catchUpMs, maxAttempts: 1, jobKey: schedule.identifier, jobKeyMode: 'replace' },
    };
    try {
      return parseCronItems([item])[0]!;
    } catch (error) {
      throw new ConfigError(`Invalid schedule ${schedule.identifier} (${schedule.reason}): ${(error as Error).message}`);
    }
  });
}
