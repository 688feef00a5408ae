import { GraphQLError } from 'graphql';

/** A client error (bad argument, malformed cursor): extensions.code BAD_USER_INPUT. */
export function badUserInput(message: string, argumentName?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(argumentName ? { argumentName } : {}) },
  });
}

/** What the client named does not exist: extensions.code NOT_FOUND. */
export function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'NOT_FOUND' } });
}

export function isBadUserInput(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && error.extensions.code === 'BAD_USER_INPUT';
}
