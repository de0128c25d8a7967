import type { Context } from 'hono';
import { AppError } from '../errors.js';
import type { HttpEnv } from '../http/env.js';

/**
 * The calling user (agent); the route's permission is checked before (`permit`). A
 * client-credentials token acts for no user; Genesys answers such calls to user-only routes
 * with this 400.
 */
export function requireUser(c: Context<HttpEnv>): { orgId: string; userId: string } {
  const p = c.get('principal');
  if (p.userId === undefined) {
    throw new AppError(400, 'bad.request', 'This request requires a user context. Client credentials cannot be used for requests to this resource; log in with grant_type=password.');
  }
  return { orgId: p.orgId, userId: p.userId };
}
