import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database, Db } from './schema.js';

// BIGINT (int8) and COUNT(*) come back from pg as strings; every time we store fits in a double.
pg.types.setTypeParser(20, (v) => Number(v));

/** A text is given a name once it has run this often: one-off statements stay unnamed. */
const NAME_AFTER = 3;
/** Most texts ever named; each connection keeps the plan of every named text it runs. */
const MAX_NAMED = 300;
/** Texts counted towards NAME_AFTER at most; past it the counts start over. */
const MAX_COUNTED = 5_000;

/**
 * Names the statements that recur, so each connection parses and plans them once and then only
 * binds and runs them. Unnamed, every query sent its SQL again and PostgreSQL parsed and planned
 * it again: most of the server's work for the small statements of the hot paths, and bytes on
 * the wire for ours. Statements without parameters (BEGIN, COMMIT, SAVEPOINT) stay on the simple
 * protocol, one message each, and may hold several statements.
 */
export class StatementNames {
  private readonly named = new Map<string, string>();
  private readonly seen = new Map<string, number>();
  private made = 0;

  /** The name to run `text` under, or undefined to leave it unnamed. */
  nameOf(text: string): string | undefined {
    const name = this.named.get(text);
    if (name !== undefined || this.named.size >= MAX_NAMED) return name;
    const n = (this.seen.get(text) ?? 0) + 1;
    if (n < NAME_AFTER) {
      if (this.seen.size >= MAX_COUNTED) this.seen.clear();
      this.seen.set(text, n);
      return undefined;
    }
    this.seen.delete(text);
    const fresh = `tl_${this.made++}`;
    this.named.set(text, fresh);
    return fresh;
  }

  /**
   * Gives `text` a new name the next time it recurs: its plan no longer fits the table (another
   * instance changed the schema under a `select *`), and PostgreSQL refuses to run it under the
   * old name on every connection that prepared it.
   */
  forget(text: string): void {
    this.named.delete(text);
  }
}

/** PostgreSQL's answer to a prepared statement whose result columns changed since it was planned. */
const PLAN_CHANGED = '0A000';

type Query = pg.PoolClient['query'];

/** Makes `client` run Kysely's queries (SQL text, parameters) under the names `names` gives. */
function nameQueries(client: pg.PoolClient, names: StatementNames): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((config: unknown, values?: unknown, callback?: unknown) => {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      const name = names.nameOf(config);
      if (name !== undefined)
        return (query({ name, text: config, values }) as Promise<unknown>).catch((err: unknown) => {
          if ((err as { code?: unknown }).code === PLAN_CHANGED) names.forget(config);
          throw err;
        });
    }
    return query(config, values, callback);
  }) as Query;
}

/** A pool on `url`; `onConnectionError` hears connections that fail outside any query (see open.ts). */
export function openPostgres(url: string, onConnectionError?: (err: Error) => void): { db: Db; close(): Promise<void> } {
  // connectionTimeoutMillis: while the server is down a request fails fast (503) instead of
  // waiting for a connection forever; keepAlive notices a vanished server on idle connections.
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, keepAlive: true });
  const onError = (err: Error) => onConnectionError?.(err);
  const names = new StatementNames();
  // The pool listens on idle clients only; a client that breaks while Kysely holds it emits
  // 'error' on itself too, and its query then fails on its own: both must be heard, or the
  // process ends with an unhandled 'error' event. pg then drops the broken client.
  pool.on('error', onError);
  // A pooler that hands each transaction to any server connection (PgBouncer's transaction mode
  // before 1.21) loses a connection's prepared statements: `?prepared_statements=off` keeps them
  // all unnamed. pg ignores the parameter itself.
  const prepared = !/[?&]prepared_statements=off(&|$)/.test(url);
  pool.on('connect', (client) => {
    client.on('error', onError);
    if (prepared) nameQueries(client, names);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, close: () => db.destroy() };
}
