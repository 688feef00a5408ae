import type pg from 'pg';
import type { ProviderDefinition } from '../sources/types.js';
import { CANONICAL_GENRES } from '../sources/genres.js';
import { prismaOf } from './prisma.js';

/**
 * Writes the reference data that lives in code (providers, canonical genres, genre aliases) into
 * the database. Idempotent, run after migrations, through the Prisma client: a few dozen rows.
 */
export async function syncReferenceData(pool: pg.Pool, providers: ProviderDefinition[]): Promise<void> {
  const prisma = prismaOf(pool);
  const aliases = providers.flatMap((p) =>
    Object.entries(p.genreAliases).flatMap(([alias, genres]) => genres.map((genre) => ({ provider: p.key, alias, genre }))),
  );
  const unknownCanonical = aliases.filter((a) => !(CANONICAL_GENRES as readonly string[]).includes(a.genre));
  if (unknownCanonical.length) {
    throw new Error(`Genre aliases name unknown canonical genres: ${unknownCanonical.map((a) => a.genre).join(', ')}`);
  }
  await prisma.genre.createMany({ data: CANONICAL_GENRES.map((name) => ({ name })), skipDuplicates: true });
  await prisma.$transaction(
    providers.map((p) => {
      const fields = {
        name: p.name,
        kind: p.kind,
        ratingScale: Object.values(p.ratingScales)[0]?.label ?? 'none',
        weights: p.weights,
        createsMovies: p.createsMovies,
      };
      return prisma.provider.upsert({ where: { key: p.key }, create: { key: p.key, ...fields }, update: fields });
    }),
  );
  const genreIds = new Map((await prisma.genre.findMany({ select: { id: true, name: true } })).map((g) => [g.name, g.id]));
  await prisma.genreAlias.createMany({
    data: aliases.map((a) => ({ providerKey: a.provider, alias: a.alias, genreId: genreIds.get(a.genre)! })),
    skipDuplicates: true,
  });
  // Placeholder rows (genre_id NULL) record spellings once met unknown. Drop those now kept as a
  // tag (an alias to no genre) and those now known (another row maps the spelling to a genre).
  const tags = providers.flatMap((p) => Object.entries(p.genreAliases).filter(([, g]) => !g.length).map(([alias]) => ({ providerKey: p.key, alias })));
  const placeholders = await prisma.genreAlias.findMany({ where: { genreId: null }, select: { id: true, providerKey: true, alias: true } });
  if (!placeholders.length) return;
  const known = await prisma.genreAlias.findMany({
    where: { genreId: { not: null }, OR: placeholders.map(({ providerKey, alias }) => ({ providerKey, alias })) },
    select: { providerKey: true, alias: true },
  });
  const drop = new Set([...tags, ...known].map((k) => `${k.providerKey}\u0000${k.alias}`));
  const ids = placeholders.filter((p) => drop.has(`${p.providerKey}\u0000${p.alias}`)).map((p) => p.id);
  if (ids.length) await prisma.genreAlias.deleteMany({ where: { id: { in: ids } } });
}
