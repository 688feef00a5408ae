import { GraphQLError } from 'graphql';

/** A client error (bad argument, malformed cursor): extensions.code BAD_USER_INPUT. */
export function badUserInput(message: string, argumentName?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(argumentName ? { argumentName } : {}) },
  });
}
