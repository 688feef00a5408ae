import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { location, operationsEnvShape, schedule } from './operations-env.js';
import { apiEnvShape } from './server/api-env.js';
import { rememberSecrets, urlPassword } from './logging/secrets.js';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from './sources/limits.js';
import { allProviders } from './sources/registry.js';

/**
 * MOVIEC_PROVIDER_MODULES: provider modules to register besides the built-in ones, as
 * comma-separated paths (relative to the working directory) of existing .js, .mjs or .ts files.
 */
const providerModules = z
  .string()
  .transform((value) => value.split(',').map((p) => p.trim()).filter(Boolean))
  .superRefine((paths, ctx) => {
    for (const file of paths) {
      if (!/\.(m?js|ts)$/.test(file)) ctx.addIssue({ code: 'custom', message: `${file} is not a .js, .mjs or .ts module` });
      else if (!existsSync(file)) ctx.addIssue({ code: 'custom', message: `${file} does not exist` });
    }
  })
  .default([]);
import { partnersEnvShape } from './services/partners-env.js';

/** Days a withdrawn record still counts in its movie's aggregate (WITHDRAW_GRACE_DAYS). */
export const DEFAULT_WITHDRAW_GRACE_DAYS = 7;

/** Environment variables MovieC reads, validated once at start with one message per bad value. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /**
   * A read replica: catalogue reads of the API (movies, lists, search, REST) go there; writes,
   * job queueing and cache invalidation stay on DATABASE_URL.
   */
  DATABASE_READ_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TMDB_API_TOKEN: z.string().min(1).optional(),
  TMDB_BASE_URL: z.url().default('https://api.themoviedb.org'),
  /** Relative paths are taken from the folder MovieC is started in; by default `.moviec` in the checkout, wherever it is started. */
  MOVIEC_DATA_DIR: z.string().min(1).default(fileURLToPath(new URL('../.moviec', import.meta.url))),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Seconds a dead worker process's jobs stay locked before another worker re-runs them (src/workers/recovery.ts). */
  WORKER_RECOVERY_SECONDS: z.coerce.number().positive().max(3600).default(20),
  /** Seconds `moviec import` waits for an unreachable database to return before it gives up (exit code 3). */
  DB_OUTAGE_WAIT_SECONDS: z.coerce.number().min(0).max(3600).default(60),
  // Bounds of every provider input (src/sources/limits.ts); a breach fails the run with the reason.
  /** Longest line of a provider file, in bytes (default 16 MiB). */
  INPUT_MAX_LINE_BYTES: z.coerce.number().int().min(64).max(2 ** 31 - 1).default(DEFAULT_INPUT_LIMITS.maxLineBytes),
  /** Most bytes one provider file may decompress to (default 8 GiB). */
  INPUT_MAX_DECOMPRESSED_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_INPUT_LIMITS.maxDecompressedBytes),
  /** Most columns of a CSV header (default 1000). */
  INPUT_MAX_COLUMNS: z.coerce.number().int().min(2).max(100_000).default(DEFAULT_INPUT_LIMITS.maxColumns),
  /** Most rows one import run may read (default 60 million). */
  INPUT_MAX_ROWS: z.coerce.number().int().min(1).default(DEFAULT_INPUT_LIMITS.maxRows),
  /** Most bytes one import run may stage (default 4 GiB). */
  INPUT_MAX_STAGED_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_INPUT_LIMITS.maxStagedBytes),
  /**
   * Days a record missing from a provider's full file stays in its movie's aggregate (the movie is
   * flagged `withdrawnFrom` meanwhile) before the movie is re-aggregated without it (default 7).
   */
  WITHDRAW_GRACE_DAYS: z.coerce.number().min(0).max(3650).default(DEFAULT_WITHDRAW_GRACE_DAYS),
  /** Unset: info (`moviec import` under a progress bar: warn, unless it is set). */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  MOVIEC_PROVIDER_MODULES: providerModules,
  ...operationsEnvShape,
  ...apiEnvShape,
  ...partnersEnvShape,
});

export type Config = z.infer<typeof envSchema> & {
  /**
   * The registered providers' variables that are set: each provider's settings (where its input
   * lives, e.g. IMDB_BASICS_URL) and SCHEDULE_<KEY> (its cron, or `off`).
   */
  providerSettings: Readonly<Record<string, string>>;
};

/** The variable that sets a provider's schedule: SCHEDULE_ROTTENTOMATOES. */
export const scheduleVariable = (providerKey: string) => `SCHEDULE_${providerKey.toUpperCase()}`;

/** The configuration variables the registered providers add: their settings and schedules. */
function providerEnvShape(): Record<string, z.ZodType<string | undefined>> {
  const shape: Record<string, z.ZodType<string | undefined>> = {};
  for (const provider of allProviders()) {
    for (const variable of Object.keys(provider.settings ?? {})) shape[variable] = location.optional();
    if (provider.schedule) shape[scheduleVariable(provider.definition.key)] = schedule.optional();
  }
  return shape;
}

/** An empty variable means "unset", as in most shells' `FOO= cmd`. */
const present = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));

function configError(issues: z.core.$ZodIssue[]): ConfigError {
  const lines = issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  return new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

/**
 * Parses the environment; throws ConfigError listing every invalid variable. Provider variables
 * are those of the providers registered when it is called (load MOVIEC_PROVIDER_MODULES first:
 * providerModulePaths, then loadProviderModules).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const values = present(env);
  const providerShape = providerEnvShape();
  const parsed = envSchema.extend(providerShape).safeParse(values);
  if (!parsed.success) throw configError(parsed.error.issues);
  const data = parsed.data as z.infer<typeof envSchema> & Record<string, unknown>;
  const providerSettings: Record<string, string> = {};
  for (const variable of Object.keys(providerShape)) {
    if (typeof data[variable] === 'string') providerSettings[variable] = data[variable];
    delete data[variable];
  }
  // Configured secrets are masked wherever they would appear: log lines, stored errors and excerpts.
  rememberSecrets([
    data.ADMIN_TOKEN, data.TMDB_API_TOKEN, data.S3_SECRET_ACCESS_KEY, urlPassword(data.DATABASE_URL), urlPassword(data.REDIS_URL),
  ]);
  return { ...data, providerSettings };
}

/** What an import run needs from the configuration: its input limits and the withdrawal grace period. */
export interface IngestSettings {
  limits: InputLimits;
  withdrawGraceDays: number;
}

export function ingestSettings(config: Config): IngestSettings {
  return {
    limits: {
      maxLineBytes: config.INPUT_MAX_LINE_BYTES,
      maxDecompressedBytes: config.INPUT_MAX_DECOMPRESSED_BYTES,
      maxColumns: config.INPUT_MAX_COLUMNS,
      maxRows: config.INPUT_MAX_ROWS,
      maxStagedBytes: config.INPUT_MAX_STAGED_BYTES,
    },
    withdrawGraceDays: config.WITHDRAW_GRACE_DAYS,
  };
}

/**
 * The configuration with no variable set: every default. For code run without an entry point's
 * configuration (tests, embedders); it reads no environment.
 */
export function defaultConfig(): Config {
  return loadConfig({});
}

/** MOVIEC_PROVIDER_MODULES alone, validated as loadConfig does, to load them before the rest is read. */
export function providerModulePaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const parsed = z.object({ MOVIEC_PROVIDER_MODULES: providerModules }).safeParse(present(env));
  if (!parsed.success) throw configError(parsed.error.issues);
  return parsed.data.MOVIEC_PROVIDER_MODULES;
}
