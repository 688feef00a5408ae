import { BadInputError, NotFoundError } from '../errors.js';

/**
 * Errors of the partner services (webhooks, API keys): the classes of src/errors.ts, translated at
 * the edges by their code (GraphQL extensions.code, HTTP status, CLI exit message).
 */
export const invalidInput = (message: string, argumentName?: string) => new BadInputError(message, argumentName);
export const notFoundError = (message: string) => new NotFoundError(message);
