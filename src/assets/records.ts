import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What the mirror did with a movie's poster: where it lives now, or why it could not be copied. */
export type PosterRecord =
  | { source: string; url: string; key: string; contentType: string; bytes: number; mirroredAt: string }
  | { source: string; error: string; failedAt: string };

const MOVIE_ID = /^[0-9a-f-]{36}$/i;

/** Records live beside the images as one small JSON file a movie, sharded by the id's first two characters. */
export function recordPath(dir: string, movieId: string): string {
  if (!MOVIE_ID.test(movieId)) throw new Error(`not a movie id: ${movieId}`);
  return path.join(dir, 'records', movieId.slice(0, 2), `${movieId}.json`);
}

export async function readPosterRecord(dir: string, movieId: string): Promise<PosterRecord | null> {
  try {
    return JSON.parse(await readFile(recordPath(dir, movieId), 'utf8')) as PosterRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function writePosterRecord(dir: string, movieId: string, record: PosterRecord): Promise<void> {
  const file = recordPath(dir, movieId);
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(record));
  await rename(temporary, file);
}

/** The mirrored URL of a movie's poster, when the mirror holds the poster the movie has now. */
export async function mirroredPosterUrl(dir: string, movieId: string, source: string | null): Promise<string | null> {
  if (!source || !MOVIE_ID.test(movieId)) return null;
  const record = await readPosterRecord(dir, movieId);
  return record && 'url' in record && record.source === source ? record.url : null;
}
