import { z } from 'zod';
import { operationsEnvShape } from './operations-env.js';
import { apiEnvShape } from './server/api-env.js';

/** Environment variables MovieC reads, validated once at start with one message per bad value. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TMDB_API_TOKEN: z.string().min(1).optional(),
  TMDB_BASE_URL: z.url().default('https://api.themoviedb.org'),
  MOVIEC_DATA_DIR: z.string().min(1).default('.moviec'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Seconds a dead worker process's jobs stay locked before another worker re-runs them (src/workers/recovery.ts). */
  WORKER_RECOVERY_SECONDS: z.coerce.number().positive().max(3600).default(20),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...operationsEnvShape,
  ...apiEnvShape,
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError listing every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "unset", as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
