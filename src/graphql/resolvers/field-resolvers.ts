import 'reflect-metadata';
import { Arg, Ctx, FieldResolver, Resolver, Root, type ClassType } from 'type-graphql';
import type { Contribution } from '../../scoring/explain.js';
import { GENRE_CONFIDENCE_THRESHOLD } from '../../scoring/rules.js';
import { explainStoredScore, isStale } from '../../services/score-explanation.js';
import type { GraphQLContext } from '../context.js';
import type {
  ExternalIdRecord,
  ImportRunRecord,
  MovieGenreRecord,
  MovieRecord,
  ProviderRecord,
  RatingRecord,
  TitleRecord,
} from '../../db/records.js';
import type { MovieConnectionRecord } from '../pagination.js';
import { ProviderKey } from '../provider-key.js';
import { ImportRun, Provider, ProviderMatchStats } from '../types/catalogue.js';
import { MovieConnection, type MovieFacets } from '../types/connection.js';
import { AggregateScore, ExternalId, FieldSource, GenreCandidate, Movie, MovieTitle, ProviderRating } from '../types/movie.js';
import { ScoreContribution, ScoreProfile } from '../types/score.js';

/** Fields that are not columns of their parent row: each goes through a per-request DataLoader. */

@Resolver(() => Movie)
export class MovieFields {
  @FieldResolver(() => AggregateScore, { nullable: true })
  async score(
    @Root() movie: MovieRecord,
    @Arg('profile', () => ScoreProfile, {
      defaultValue: ScoreProfile.BALANCED,
      description: 'Whose ratings weigh most: BALANCED (the c-rating), CRITICS or AUDIENCE.',
    })
    profile: ScoreProfile,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<ScoreRecord | null> {
    if (movie.scoreValue == null) return null;
    const balanced: ScoreRecord = {
      movieId: movie.id,
      profile,
      value: movie.scoreValue,
      confidence: movie.scoreConfidence ?? 0,
      providerCount: movie.scoreProviderCount,
      votes: movie.scoreVotes ?? 0,
    };
    if (profile === ScoreProfile.BALANCED) return balanced;
    // Another profile: its stored value (what lists order by), its confidence from the ratings.
    const stored = profile === ScoreProfile.CRITICS ? movie.scoreCritics : movie.scoreAudience;
    const explained = explainStoredScore(await loaders.ratings.load(movie.id), profile);
    const value = stored ?? explained?.value;
    if (value == null) return null;
    return { ...balanced, value, confidence: explained?.confidence ?? balanced.confidence };
  }

  @FieldResolver()
  ratings(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<RatingRecord[]> {
    return loaders.ratings.load(movie.id);
  }

  @FieldResolver()
  titles(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<TitleRecord[]> {
    return loaders.titles.load(movie.id);
  }

  @FieldResolver()
  async genres(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<MovieGenreRecord[]> {
    return (await loaders.genres.load(movie.id)).filter((g) => g.confidence >= GENRE_CONFIDENCE_THRESHOLD);
  }

  @FieldResolver()
  async genreCandidates(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<GenreCandidate[]> {
    const genres = await loaders.genres.load(movie.id);
    return genres.map(({ name, confidence }) => ({ name, confidence, accepted: confidence >= GENRE_CONFIDENCE_THRESHOLD }));
  }

  @FieldResolver()
  fieldSources(@Root() movie: MovieRecord): FieldSourceRecord[] {
    return Object.entries(movie.provenance ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([field, source]) => ({ field, source, locked: source === LOCK }));
  }

  @FieldResolver()
  externalIds(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<ExternalIdRecord[]> {
    return loaders.externalIds.load(movie.id);
  }

  @FieldResolver(() => [ProviderKey], {
    description:
      "Providers whose records of this movie vanished from their last full file. They still count until WITHDRAW_GRACE_DAYS " +
      'have passed, then the movie is aggregated without them; empty when every record is current.',
  })
  withdrawnFrom(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<string[]> {
    return loaders.withdrawnFrom.load(movie.id);
  }
}

const LOCK = 'lock';

/** An AggregateScore as resolved: the movie and profile it belongs to, for its explanation. */
interface ScoreRecord {
  movieId: string;
  profile: ScoreProfile;
  value: number;
  confidence: number;
  providerCount: number;
  votes: number;
}

@Resolver(() => AggregateScore)
export class ScoreFields {
  @FieldResolver()
  async explanation(@Root() score: ScoreRecord, @Ctx() { loaders }: GraphQLContext): Promise<ScoreExplanationRecord | null> {
    const explained = explainStoredScore(await loaders.ratings.load(score.movieId), score.profile);
    if (!explained) return null;
    return { formulaVersion: explained.formulaVersion, contributions: explained.contributions };
  }
}

interface ScoreExplanationRecord {
  formulaVersion: string;
  contributions: Contribution[];
}

@Resolver(() => ProviderRating)
export class ProviderRatingFields {
  @FieldResolver()
  stale(@Root() rating: RatingRecord, @Ctx() { freshness }: GraphQLContext): boolean {
    return isStale(rating.fetchedAt, freshness.refreshInterval(rating.providerKey), freshness.now());
  }
}

interface FieldSourceRecord {
  field: string;
  source: string;
  locked: boolean;
}

@Resolver(() => FieldSource)
export class FieldSourceFields {
  @FieldResolver()
  async provider(@Root() row: FieldSourceRecord, @Ctx() { loaders }: GraphQLContext): Promise<ProviderRecord | null> {
    if (row.locked) return null;
    return (await loaders.providers()).find((p) => p.key === row.source) ?? null;
  }
}

@Resolver(() => ImportRun)
export class ImportRunFields {
  /**
   * Why a run failed names the input (paths, hosts) and may quote what a peer answered: shown to
   * admins only (the admin token), null for everyone else; `status` still says FAILED.
   */
  @FieldResolver(() => String, { nullable: true, description: 'Why the run failed; admins only (null without the admin token).' })
  error(@Root() run: ImportRunRecord, @Ctx() { admin }: GraphQLContext): string | null {
    return admin === 'granted' ? run.error : null;
  }
}

@Resolver(() => Provider)
export class ProviderFields {
  @FieldResolver()
  lastRun(@Root() provider: ProviderRecord, @Ctx() { loaders }: GraphQLContext): Promise<ImportRunRecord | null> {
    return loaders.lastRun.load(provider.key);
  }
}

@Resolver(() => MovieConnection)
export class MovieConnectionFields {
  @FieldResolver()
  totalCount(@Root() connection: MovieConnectionRecord): Promise<number> {
    return connection.count();
  }

  @FieldResolver()
  async facets(@Root() connection: MovieConnectionRecord): Promise<MovieFacets> {
    const facets = await connection.facets();
    return { ...facets, providers: facets.providers.map((p) => ({ key: p.key, count: p.count })) };
  }
}

/** `provider` of a type whose rows carry a providerKey. */
function providerFieldOf(type: ClassType): ClassType {
  @Resolver(() => type)
  class ProviderField {
    @FieldResolver()
    provider(@Root() row: { providerKey: string }, @Ctx() { loaders }: GraphQLContext): Promise<ProviderRecord> {
      return loaders.provider(row.providerKey);
    }
  }
  return ProviderField;
}

export const PROVIDER_FIELD_RESOLVERS = [ProviderRating, MovieTitle, ExternalId, ImportRun, ProviderMatchStats, ScoreContribution].map(providerFieldOf);
