import { sql } from 'kysely';
import type { Dialect } from './open.js';
import type { Db } from './schema.js';

// Arbitrary constant keys for PostgreSQL advisory locks taken by threadline itself.
export const LOCKS = { firstStart: 0x74686c31 } as const;

/**
 * Runs `fn` while holding a cluster-wide lock, so that instances starting together on one
 * PostgreSQL do one-time work once. SQLite is one process: no lock needed.
 */
export async function withLock<T>(db: Db, dialect: Dialect, key: number, fn: () => Promise<T>): Promise<T> {
  if (dialect !== 'postgres') return fn();
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${key})`.execute(conn);
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(${key})`.execute(conn);
    }
  });
}
