import path from 'node:path';
import { testPosterAddresses } from '../fault-points.js';
import { type Config } from '../config.js';
import { ConfigError } from '../errors.js';

export interface S3Settings {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Base URL where the bucket's objects are readable by browsers (a CDN or the public endpoint). */
  publicUrl: string;
  /** Key prefix inside the bucket, e.g. `posters/`. */
  prefix: string;
}

export interface PosterSettings {
  mode: 'off' | 'local' | 's3';
  /** Mirror state: `images/` (local mode) and `records/` (what was mirrored from where). */
  dir: string;
  maxBytes: number;
  concurrency: number;
  s3: S3Settings | null;
  /**
   * TESTS ONLY: loopback addresses poster URLs may lead to (tests serve posters from local HTTP
   * servers). Set by MOVIEC_TEST_POSTER_ADDRESSES=127.0.0.1[,…] (like MOVIEC_FAULT_POINT, a test hook
   * read from the environment, not configuration); only loopback addresses can be allowed so.
   */
  testAllowedAddresses?: string[];
}

/** Poster mirror settings; S3 mode needs every S3_* setting, named when missing. */
export function posterSettings(config: Config): PosterSettings {
  const dir = path.resolve(config.POSTER_DIR ?? path.join(config.MOVIEC_DATA_DIR, 'posters'));
  const base = {
    mode: config.POSTER_MIRROR,
    dir,
    maxBytes: config.POSTER_MAX_BYTES,
    concurrency: config.POSTER_CONCURRENCY,
    ...testPosterAddresses(),
  };
  if (config.POSTER_MIRROR !== 's3') return { ...base, s3: null };
  const required = {
    S3_ENDPOINT: config.S3_ENDPOINT,
    S3_BUCKET: config.S3_BUCKET,
    S3_ACCESS_KEY_ID: config.S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: config.S3_SECRET_ACCESS_KEY,
    S3_PUBLIC_URL: config.S3_PUBLIC_URL,
  };
  const missing = Object.entries(required).filter(([, value]) => !value).map(([name]) => name);
  if (missing.length) throw new ConfigError(`Invalid configuration:\n  POSTER_MIRROR=s3 needs ${missing.join(', ')}`);
  return {
    ...base,
    s3: {
      endpoint: required.S3_ENDPOINT!,
      region: config.S3_REGION,
      bucket: required.S3_BUCKET!,
      accessKeyId: required.S3_ACCESS_KEY_ID!,
      secretAccessKey: required.S3_SECRET_ACCESS_KEY!,
      publicUrl: required.S3_PUBLIC_URL!,
      prefix: config.S3_PREFIX,
    },
  };
}
