import { parseCronItems, type CronItem, type ParsedCronItem } from 'graphile-worker';
import { scheduleVariable, type Config } from '../config.js';
import { JOB, type JobName } from '../jobs.js';
import { allProviders } from '../sources/registry.js';
import { ConfigError } from '../errors.js';


/** One recurring job, as configured (times are UTC, as Graphile Worker evaluates cron). */
export interface Schedule {
  /** Graphile Worker's crontab identifier and the job key, e.g. `import-imdb`. */
  identifier: string;
  task: JobName;
  cron: string;
  payload: Record<string, unknown>;
  /** Why it is on: the variable that set it, or the default rule. */
  reason: string;
  /** A run missed while no worker was up (a deploy at 02:00) still fires at start if it was due this recently. */
  catchUpMs: number;
}

interface ScheduleRule {
  identifier: string;
  task: JobName;
  variable: string;
  defaultCron: string;
  defaultReason: string;
  catchUpMs: number;
  /** The job's payload when the feature is configured, else why not (`inconsistent`: an error in any case). */
  plan(config: Config): { payload: Record<string, unknown> } | { missing: string; inconsistent?: true };
}

const HOUR = 3600_000;
/** Nightly imports missed by up to 12 hours, hourly jobs by up to one, run when a worker starts. */
const CATCH_UP = { nightly: 12 * HOUR, hourly: HOUR } as const;

/** A configuration variable by name: a provider's setting, or any other string value of the configuration. */
function settingOf(config: Config): (variable: string) => string | undefined {
  return (variable) => {
    const value = config.providerSettings[variable] ?? (config as unknown as Record<string, unknown>)[variable];
    return typeof value === 'string' ? value : undefined;
  };
}

/**
 * Each registered provider with a schedule (`import-<key>`, SCHEDULE_<KEY>), nightly ones first,
 * in registration order, then the poster mirror.
 */
function rules(): ScheduleRule[] {
  const byCatchUp = [...allProviders()].sort((a, b) => Number(a.schedule?.catchUp === 'hourly') - Number(b.schedule?.catchUp === 'hourly'));
  const providerRules = byCatchUp.flatMap(({ definition: { key }, schedule }): ScheduleRule[] => {
    if (!schedule) return [];
    return [{
      identifier: `import-${key}`,
      task: JOB.scheduledImport,
      catchUpMs: CATCH_UP[schedule.catchUp],
      variable: scheduleVariable(key),
      defaultCron: schedule.cron,
      defaultReason: schedule.reason,
      plan: (config) => {
        const plan = schedule.plan(settingOf(config));
        return 'location' in plan ? { payload: { provider: key, location: plan.location } } : plan;
      },
    }];
  });
  return [
    ...providerRules,
    {
      identifier: 'mirror-posters',
      task: JOB.mirrorPosters,
      catchUpMs: CATCH_UP.hourly,
      variable: 'SCHEDULE_POSTERS',
      defaultCron: '45 * * * *',
      defaultReason: 'hourly, POSTER_MIRROR is on',
      plan: ({ POSTER_MIRROR: mode }) => (mode !== 'off' ? { payload: {} } : { missing: 'POSTER_MIRROR is off' }),
    },
  ];
}

/**
 * The recurring jobs the configuration asks for: each provider whose input is configured is
 * imported on its default schedule unless SCHEDULE_<PROVIDER> names another cron expression or
 * `off`. A schedule set for a provider that is not configured is a configuration error.
 */
export function plannedSchedules(config: Config): Schedule[] {
  const schedules: Schedule[] = [];
  const problems: string[] = [];
  for (const rule of rules()) {
    const configured = rule.variable === 'SCHEDULE_POSTERS' ? config.SCHEDULE_POSTERS : config.providerSettings[rule.variable];
    if (configured === 'off') continue;
    const plan = rule.plan(config);
    if ('missing' in plan) {
      if (configured) problems.push(`  ${rule.variable}: is "${configured}" but ${plan.missing}`);
      else if (plan.inconsistent) problems.push(`  ${plan.missing}`);
      continue;
    }
    schedules.push({
      identifier: rule.identifier,
      task: rule.task,
      cron: configured ?? rule.defaultCron,
      payload: plan.payload,
      reason: configured ? `${rule.variable}` : `default: ${rule.defaultReason}`,
      catchUpMs: rule.catchUpMs,
    });
  }
  if (problems.length) throw new ConfigError(`Invalid schedule configuration:\n${problems.join('\n')}`);
  return schedules;
}

/**
 * Each provider's import cron as configured (SCHEDULE_<PROVIDER>, else its default), or null when
 * switched off: how often the provider is expected to be read, whether or not its input is set here.
 */
export function providerImportCrons(config?: Config): { provider: string; cron: string | null }[] {
  return allProviders().flatMap(({ definition: { key }, schedule }) => {
    if (!schedule) return [];
    const configured = config?.providerSettings[scheduleVariable(key)];
    return [{ provider: key, cron: configured === 'off' ? null : (configured ?? schedule.cron) }];
  });
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
