import { createHash } from 'node:crypto';
import { clientKey } from '../client-key.js';
import type { Executor } from '../db/schema.js';
import { tooManyRequests } from '../errors.js';
import { normalizeEmail } from '../mail/address.js';
import type { Counted, RateLimitService } from '../ratelimit/ratelimit.service.js';

// Failed password-grant logins are limited per (user, client address) and per client address
// (an IPv6 address by its /64, as client-key.ts counts clients), never per user alone: a user's
// own logins from elsewhere keep working however hard someone else guesses their password, so
// the throttle cannot be turned into a lock-out.
export const LOGIN_WINDOW_MS = 15 * 60_000;
export const LOGIN_LIMITS = {
  /** Guesses at one user's password from one address. */
  perUserAndAddress: 10,
  /** Guesses at anyone's password from one address (spraying one password over many users). */
  perAddress: 50,
};

// Hashed: the keys stay short whatever the username, and counters hold no addresses.
const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64url');

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

export function createLoginThrottle(deps: { db: Executor; rateLimit: RateLimitService }) {
  const { db, rateLimit } = deps;
  return {
    /**
     * Counts a login attempt as failed before the password is checked (so that concurrent
     * guesses cannot all slip under the limit), or refuses it with a 429 when a limit is
     * reached. `succeeded` takes the count back: only failures count.
     */
    async begin(orgId: string, username: string, address: string): Promise<{ succeeded(): Promise<void> }> {
      const bucket = clientKey(address);
      const limits = [
        { key: `login:${digest(orgId, normalizeEmail(username), bucket)}`, limit: LOGIN_LIMITS.perUserAndAddress, what: 'for this user from this address' },
        { key: `login-from:${digest(bucket)}`, limit: LOGIN_LIMITS.perAddress, what: 'from this address' },
      ];
      const counted: Counted[] = [];
      const releaseAll = async () => {
        for (const c of counted) await rateLimit.release(db, c);
      };
      for (const l of limits) {
        const r = await rateLimit.hit(db, l.key, l.limit, LOGIN_WINDOW_MS);
        if (r.retry !== null) {
          await releaseAll();
          throw tooManyRequests(`Too many failed logins ${l.what}. Retry after ${r.retry} s.`, r.retry);
        }
        counted.push(r.counted);
      }
      return { succeeded: releaseAll };
    },
  };
}
