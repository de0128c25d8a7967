import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { getCookie } from 'hono/cookie';
import { AppError } from '../errors.js';
import { requirePermission } from '../http/auth.js';
import { BODY_LIMITS, limitBody } from '../http/body-limit.js';
import type { ConsoleEnv } from './env.js';
import type { ConsoleSessionsService } from './sessions.service.js';

export const SESSION_COOKIE = 'threadline_session';
/** The form field and the header (htmx sends it from the body's hx-headers) that carry the CSRF token. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/** Loads the session of the cookie; a request without a live one is refused (a page redirects to sign-in). */
export function requireSession(sessions: ConsoleSessionsService): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const found = await sessions.resolve(getCookie(c, SESSION_COOKIE));
    if (!found) throw new AppError(401, 'session.ended', 'Your session has ended. Sign in again.');
    c.set('session', found.session);
    c.set('principal', found.principal);
    await next();
    // Every answer to a signed-in request shows that user's data (htmx fragments too): never kept by a cache.
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
  };
}

/**
 * What a page (GET) needs: one of `permissions` (none: any signed-in user), checked with the
 * API's own permission check.
 */
export const page = (...permissions: string[]) => requirePermission(permissions) as unknown as MiddlewareHandler<ConsoleEnv>;

/**
 * What every change (POST) needs, in this order: one of `permissions`, then the body, bounded
 * as the token endpoint's form is, then the session's CSRF token (header or form field).
 */
export const action = (sessions: ConsoleSessionsService, ...permissions: string[]) => actionTaking(BODY_LIMITS.form, sessions, ...permissions);

/** `action` for a form that may be larger than a sign-in's (an answer to a customer): up to `maxBytes`. */
export function actionTaking(maxBytes: number, sessions: ConsoleSessionsService, ...permissions: string[]): MiddlewareHandler<ConsoleEnv> {
  const checkToken: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    let given = c.req.header(CSRF_HEADER);
    if (given === undefined) {
      const type = c.req.header('content-type') ?? '';
      if (/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) {
        const field = (await c.req.parseBody())[CSRF_FIELD];
        given = typeof field === 'string' ? field : undefined;
      }
    }
    if (!sessions.csrfMatches(c.get('session'), given)) throw csrfRefused();
    await next();
  };
  return every(page(...permissions), limitBody(maxBytes) as unknown as MiddlewareHandler<ConsoleEnv>, checkToken);
}

export const csrfRefused = () =>
  new AppError(403, 'csrf.refused', 'This request was refused: it did not carry this session’s form token, or came from another site. Reload the page and try again.');
