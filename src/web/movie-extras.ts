import type { RequestHandler } from 'express';
import type pg from 'pg';
import { provenanceAndPoster } from '../db/movies.js';
import { mirroredPosterUrl } from '../assets/records.js';
import type { PosterSettings } from '../assets/settings.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MovieExtras {
  id: string;
  /** Which provider supplied each curated field (`lock` when an admin fixed it). */
  provenance: Record<string, string>;
  /** The poster to show: the mirrored copy when there is one, else the provider's URL. */
  poster: { url: string; mirrored: boolean } | null;
}

/**
 * GET /movies/:id/provenance: what the website shows beside the GraphQL fields: per-field
 * provenance and the poster URL to load (the mirror's when present).
 */
export function movieExtrasHandler(pool: pg.Pool, posters: PosterSettings): RequestHandler<{ id: string }> {
  return async (req, res, next) => {
    try {
      const { id } = req.params;
      if (!UUID.test(id)) {
        res.status(400).json({ error: 'id must be a movie id (UUID)' });
        return;
      }
      const movie = await provenanceAndPoster(pool, id);
      if (!movie) {
        res.status(404).json({ error: 'no such movie' });
        return;
      }
      const mirrored = posters.mode === 'off' ? null : await mirroredPosterUrl(posters.dir, id, movie.poster_url);
      const poster = mirrored ? { url: mirrored, mirrored: true } : movie.poster_url ? { url: movie.poster_url, mirrored: false } : null;
      res.json({ id, provenance: movie.provenance ?? {}, poster } satisfies MovieExtras);
    } catch (error) {
      next(error);
    }
  };
}
