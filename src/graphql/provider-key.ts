import 'reflect-metadata';
import { registerEnumType } from 'type-graphql';

/** GraphQL enum names mapped to the provider keys stored in the database. */
export enum ProviderKey {
  IMDB = 'imdb',
  TMDB = 'tmdb',
  ROTTEN_TOMATOES = 'rottentomatoes',
  MOVIELENS = 'movielens',
}

registerEnumType(ProviderKey, {
  name: 'ProviderKey',
  description: 'A data source MovieC aggregates movies and ratings from.',
  valuesConfig: {
    IMDB: { description: 'IMDb non-commercial datasets (ids are tconsts such as tt0111161).' },
    TMDB: { description: 'The Movie Database API (ids are TMDB movie ids).' },
    ROTTEN_TOMATOES: { description: 'Rotten Tomatoes movie CSV (ids are rotten_tomatoes_link values).' },
    MOVIELENS: { description: 'MovieLens datasets (ids are MovieLens movieIds).' },
  },
});
