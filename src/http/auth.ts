import type { Context, MiddlewareHandler } from 'hono';
import type { AuthService, Principal } from '../auth/auth.service.js';
import { hasAnyPermission } from '../auth/permissions.js';
import { forbidden, unauthorized } from '../errors.js';
import type { HttpEnv } from './env.js';

export function requireBearer(auth: AuthService): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const m = header ? /^bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw unauthorized();
    c.set('principal', await auth.authenticate(m[1]!));
    await next();
  };
}

/**
 * Refuses a caller holding none of `permissions` (an empty list: any valid token). Route
 * middleware (see `permit` in router.ts): it runs before the body is read or validated.
 */
export function requirePermission(permissions: readonly string[]): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    if (permissions.length > 0) allow(c, ...permissions);
    await next();
  };
}

/** The caller's principal, after checking it holds one of the permissions. */
export function allow(c: Context<HttpEnv>, ...permissions: string[]): Principal {
  const p = c.get('principal');
  if (!hasAnyPermission(p.permissions, permissions)) throw forbidden(permissions.join(' or '));
  return p;
}
