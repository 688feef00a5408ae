import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { BadInputError, MovieCError } from '../errors.js';

/**
 * The GraphQL edge of src/errors.ts: a domain error thrown by a service or resolver is answered
 * with its message and `extensions.code` (BAD_USER_INPUT also with `argumentName`). Any other
 * error stays INTERNAL_SERVER_ERROR (masked by src/server/apollo.ts).
 */
export function translateError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (!(original instanceof MovieCError)) return formatted;
  const { stacktrace } = formatted.extensions ?? {};
  return {
    ...formatted,
    message: original.message,
    extensions: {
      code: original.code,
      ...(original instanceof BadInputError && original.argumentName ? { argumentName: original.argumentName } : {}),
      ...(stacktrace ? { stacktrace } : {}),
    },
  };
}
