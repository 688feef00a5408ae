import type pg from 'pg';

/**
 * title_forms: the form the title normaliser (normalizeTitle, the only one) gives titles that only
 * exist on movies (admin title locks), for the SQL that compares titles (moviec_search_text looks
 * them up; migration 20261130020100_one_title_normaliser). Callers normalise; this module stores.
 */

export interface TitleForm {
  title: string;
  normalized: string;
}

/** The statement storing forms (a JSON array of {title, normalized}), for callers batching it into a transaction. */
export const STORE_TITLE_FORMS_SQL = `INSERT INTO title_forms (title, normalized)
  SELECT f.title, f.normalized FROM jsonb_to_recordset($1::jsonb) AS f(title text, normalized text)
  ON CONFLICT (title_md5) DO NOTHING`;

export async function storeTitleForms(db: pg.Pool | pg.PoolClient, forms: TitleForm[]): Promise<void> {
  if (forms.length) await db.query(STORE_TITLE_FORMS_SQL, [JSON.stringify(forms)]);
}

/**
 * Stores the forms of locked titles that have none yet (a database that held locks before
 * title_forms existed), then touches those movies so that whatever indexes their titles sees
 * the form. Returns how many were added.
 */
export async function backfillLockedTitleForms(pool: pg.Pool, normalize: (title: string) => string): Promise<number> {
  const { rows } = await pool.query<{ title: string }>(
    `SELECT DISTINCT m.locks->>'title' AS title FROM movies m
      WHERE jsonb_typeof(m.locks->'title') = 'string' AND moviec_search_text(m.locks->>'title') IS NULL`,
  );
  if (!rows.length) return 0;
  const forms = rows.map(({ title }) => ({ title, normalized: normalize(title) }));
  await storeTitleForms(pool, forms);
  await pool.query(`UPDATE movies SET title = title WHERE locks->>'title' = ANY($1::text[])`, [forms.map((f) => f.title)]);
  return forms.length;
}
