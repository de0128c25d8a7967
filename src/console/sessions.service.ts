import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/auth.service.js';
import type { Clock } from '../clock.js';
import type { Db, Executor } from '../db/schema.js';
import * as repo from './sessions.repo.js';

export const SESSION_LIMITS = {
  /** Without a request for this long, a session ends. */
  idleMs: 30 * 60_000,
  /** However busy, a session ends this long after sign-in. */
  absoluteMs: 12 * 60 * 60_000,
  /** last_seen_at is written at most this often: a page and its htmx requests are one write. */
  touchEveryMs: 60_000,
};

export interface ConsoleSession {
  tokenHash: string;
  orgId: string;
  userId: string;
  csrfToken: string;
  expiresAt: number;
  /** When the session ends if idle from now on, or at its absolute end if sooner. */
  endsAt: number;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');
/** A cookie value is base64url of 32 bytes: anything else is no token of ours, and never reaches the database. */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export type ConsoleSessionsService = ReturnType<typeof createConsoleSessionsService>;

/** Sign-in sessions of the web console; who the user is and what they may do stays with the auth service. */
export function createConsoleSessionsService(deps: { db: Db; clock: Clock; principalOf: (orgId: string, userId: string) => Promise<Principal | null> }) {
  const { db, clock } = deps;
  const view = (row: repo.SessionRow): ConsoleSession => ({
    tokenHash: row.token_hash,
    orgId: row.org_id,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    expiresAt: Number(row.expires_at),
    endsAt: Math.min(Number(row.expires_at), Number(row.last_seen_at) + SESSION_LIMITS.idleMs),
  });

  return {
    /** A new session; the token goes into the cookie and is never stored. */
    async create(orgId: string, userId: string) {
      const now = clock.now();
      const token = randomBytes(32).toString('base64url');
      const row: repo.SessionRow = {
        token_hash: hashOf(token),
        org_id: orgId,
        user_id: userId,
        csrf_token: randomBytes(32).toString('base64url'),
        created_at: now,
        last_seen_at: now,
        expires_at: now + SESSION_LIMITS.absoluteMs,
      };
      await repo.insertSession(db, row);
      return { token, session: view(row) };
    },

    /**
     * The session of a cookie token and its user's principal, or null: unknown, expired (idle or
     * absolute) or its user deleted. An expired session is deleted as it is found.
     */
    async resolve(token: string | undefined): Promise<{ session: ConsoleSession; principal: Principal } | null> {
      if (token === undefined || !TOKEN_RE.test(token)) return null;
      const now = clock.now();
      const row = await repo.findSession(db, hashOf(token));
      if (!row) return null;
      const session = view(row);
      const principal = session.endsAt > now ? await deps.principalOf(session.orgId, session.userId) : null;
      if (!principal) {
        await repo.deleteSession(db, row.token_hash);
        return null;
      }
      if (now - Number(row.last_seen_at) >= SESSION_LIMITS.touchEveryMs) {
        await repo.touchSession(db, row.token_hash, now);
        session.endsAt = Math.min(session.expiresAt, now + SESSION_LIMITS.idleMs);
      }
      return { session, principal };
    },

    /** Whether a session still stands (not signed out, not expired), without counting as activity: a live stream asks this. */
    async isLive(session: ConsoleSession): Promise<boolean> {
      const row = await repo.findSession(db, session.tokenHash);
      return row !== undefined && view(row).endsAt > clock.now();
    },

    /** Whether a request's CSRF token is its session's. */
    csrfMatches(session: ConsoleSession, given: string | undefined): boolean {
      if (given === undefined) return false;
      const a = Buffer.from(session.csrfToken);
      const b = Buffer.from(given);
      return a.length === b.length && timingSafeEqual(a, b);
    },

    end: (session: ConsoleSession) => repo.deleteSession(db, session.tokenHash),

    /** Removes ended sessions (the maintenance job). */
    prune(ex: Executor) {
      const now = clock.now();
      return repo.deleteExpired(ex, now, now - SESSION_LIMITS.idleMs);
    },
  };
}
