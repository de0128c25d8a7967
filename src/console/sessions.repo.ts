import type { ConsoleSessionsTable, Executor } from '../db/schema.js';

export type SessionRow = ConsoleSessionsTable;

export const insertSession = (db: Executor, row: SessionRow) => db.insertInto('console_sessions').values(row).execute();

export const findSession = (db: Executor, tokenHash: string) => db.selectFrom('console_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();

export const touchSession = (db: Executor, tokenHash: string, at: number) => db.updateTable('console_sessions').set({ last_seen_at: at }).where('token_hash', '=', tokenHash).execute();

export const deleteSession = (db: Executor, tokenHash: string) => db.deleteFrom('console_sessions').where('token_hash', '=', tokenHash).execute();

/** Ends every session of a user (a new password, a deleted user). */
export const deleteSessionsOf = (db: Executor, userId: string) => db.deleteFrom('console_sessions').where('user_id', '=', userId).execute();

/** Ends a user's sessions but the newest `keep`. */
export const keepNewestSessions = (db: Executor, userId: string, keep: number) =>
  db
    .deleteFrom('console_sessions')
    .where('user_id', '=', userId)
    .where('token_hash', 'not in', (eb) =>
      eb.selectFrom('console_sessions').select('token_hash').where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('token_hash').limit(keep),
    )
    .execute();

/** Sessions past their absolute end or idle too long. */
export const deleteExpired = (db: Executor, now: number, idleSince: number) =>
  db
    .deleteFrom('console_sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleSince)]))
    .executeTakeFirst();
