import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthChecker } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { GraphQLContext } from './context.js';

/** What a request's Authorization header proves about admin rights. */
export type AdminAccess = 'granted' | 'missing' | 'invalid' | 'disabled';

/** Checks `Authorization: Bearer <token>` against ADMIN_TOKEN in constant time. */
export function adminAccess(authorization: string | undefined, adminToken: string | undefined): AdminAccess {
  if (!adminToken) return 'disabled';
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!presented) return 'missing';
  // Digests have equal lengths whatever was sent, so the comparison time says nothing about the token.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(adminToken)) ? 'granted' : 'invalid';
}

/** type-graphql's check for @Authorized() (admin mutations), with a clear error for each refusal. */
export const adminAuthChecker: AuthChecker<GraphQLContext> = ({ context }) => {
  switch (context.admin) {
    case 'granted':
      return true;
    case 'disabled':
      throw new ForbiddenError('Admin operations are disabled on this server: set ADMIN_TOKEN to enable them');
    case 'missing':
      throw new UnauthenticatedError('This operation needs the admin token: send the header "Authorization: Bearer <ADMIN_TOKEN>"');
    case 'invalid':
      throw new UnauthenticatedError('The admin token is not valid');
  }
};
