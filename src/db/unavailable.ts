import type { Logger } from '../log.js';

// Which failures mean "the database cannot be used right now" rather than "this request is
// wrong": a dropped or refused PostgreSQL connection, a server shutting down or starting up, a
// full disk (under SQLite, PostgreSQL, or the inbound spool file). Those are temporary conditions: HTTP answers 503 with Retry-After,
// SMTP 451, /readyz names them, and background work keeps what it could not write.

export type Unavailable = 'database unreachable' | 'disk full' | 'database busy';

// Node socket errors seen when the server is down, restarting or gone.
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATE: class 08 (connection exception), 57P01–57P03 (admin shutdown, crash shutdown,
// cannot connect now: the server is starting or stopping), 53300 (too many connections).
const PG_STATES = /^(08...|57P0[123]|53300)$/;
// pg reports a connection that died under a query with plain Errors and these texts.
const PG_TEXTS = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable/;

/** The temporary condition behind `err` (or any error in its cause chain), else null. */
export function databaseUnavailable(err: unknown): Unavailable | null {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      // SQLite's own, PostgreSQL's (53100) and the file system's (the inbound spool, beside the database).
      if (code === 'SQLITE_FULL' || code === '53100' || code === 'ENOSPC' || code === 'EDQUOT') return 'disk full';
      if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_')) return 'database busy';
      if (NETWORK.has(code) || PG_STATES.test(code)) return 'database unreachable';
    }
    if (typeof message === 'string' && PG_TEXTS.test(message)) return 'database unreachable';
  }
  return null;
}

// Our own handle, closed at shutdown: Kysely's, pg's pool, better-sqlite3's. Nothing written
// through it again will succeed, so waiting for it to come back would wait forever.
const CLOSED_TEXTS = /driver has already been destroyed|Cannot use a pool after calling end on the pool|The database connection is not open/;

/** Whether `err` says the database handle was closed by this process (at shutdown). */
export function databaseClosed(err: unknown): boolean {
  return err instanceof Error && CLOSED_TEXTS.test(err.message);
}

/**
 * How a background loop reports that its database work failed: an outage once when it starts
 * (and again if its cause changes), not on every tick; anything else each time it happens.
 * DatabaseHealth logs where an outage starts and ends.
 */
export function outageLog(log: Pick<Logger, 'warn' | 'error'>, what: string) {
  let failing: Unavailable | null = null;
  return {
    failed(err: unknown): void {
      const cause = databaseUnavailable(err);
      if (!cause) log.error({ err }, `${what} failed; retrying on the next tick`);
      else if (failing !== cause) log.warn({ err: { message: (err as Error).message } }, `${what} paused: ${cause}`);
      failing = cause;
    },
    succeeded(): void {
      failing = null;
    },
  };
}
