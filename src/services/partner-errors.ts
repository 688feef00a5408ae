/**
 * Errors of the partner services (webhooks, API keys), each with a code the edges translate:
 * GraphQL extensions.code, HTTP status, CLI exit message.
 */
export type PartnerErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND';

export class PartnerError extends Error {
  override readonly name = 'PartnerError';
  constructor(
    readonly code: PartnerErrorCode,
    message: string,
    readonly argumentName?: string,
  ) {
    super(message);
  }
}

export const invalidInput = (message: string, argumentName?: string) => new PartnerError('BAD_USER_INPUT', message, argumentName);
export const notFoundError = (message: string) => new PartnerError('NOT_FOUND', message);
