import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { TtlCache } from '../cache.js';
import { PRIVATE_DIR, PRIVATE_FILE } from '../private-files.js';
import type { Database, Db } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDb {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Told about a PostgreSQL connection that failed outside any query (an idle connection
   * terminated, the server restarting). Without a listener such an error ends the process.
   */
  onConnectionError?(err: Error): void;
}

/** Opens the database named by THREADLINE_DATABASE_URL: sqlite://PATH or postgres://… */
export function openDatabase(url: string, options: OpenOptions = {}): OpenedDb {
  if (url.startsWith('sqlite://')) return openSqlite(url.slice('sqlite://'.length));
  return openPostgres(url, options);
}

function openSqlite(file: string): OpenedDb {
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: PRIVATE_DIR });
    // SQLite creates a new database with the process's umask (often 0644, readable by everyone),
    // and its -wal and -shm files with the database file's mode: create the file first, private.
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, PRIVATE_FILE));
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before we answer 2xx/250, even across a power cut; group
  // commit (batcher.ts) pays one fsync for many requests.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  // Group commit runs each piece of work in a savepoint, and SQLite keeps the pages a savepoint
  // changes in a statement journal that spills to a temporary file past 64 KB: a write() for
  // every page of every piece, 110 KB and 52 system calls per inbound reply in batches of 20.
  // In memory, the journal costs neither (it only ever serves a rollback inside a transaction;
  // durability is the WAL's). Sorts and temporary tables stay in memory too: ours are small.
  sqlite.pragma('temp_store = MEMORY');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely prepares every query anew; preparing costs 20–50 µs, a good part of a send. The same
 * few dozen SQL texts recur, so keep their statements (SQLite re-prepares one by itself if the
 * schema changes). Kysely runs each statement to completion, so reuse is safe.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500) {
  const cache = new TtlCache<string, SQLite.Statement>({ max, ttlMs: 0 });
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) cache.set(sql, (stmt = sqlite.prepare(sql)));
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

// BIGINT (int8) and COUNT(*) come back from pg as strings; every time we store fits in a double.
pg.types.setTypeParser(20, (v) => Number(v));

function openPostgres(url: string, options: OpenOptions): OpenedDb {
  // connectionTimeoutMillis: while the server is down a request fails fast (503) instead of
  // waiting for a connection forever; keepAlive notices a vanished server on idle connections.
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, keepAlive: true });
  const onError = (err: Error) => options.onConnectionError?.(err);
  // The pool listens on idle clients only; a client that breaks while Kysely holds it emits
  // 'error' on itself too, and its query then fails on its own: both must be heard, or the
  // process ends with an unhandled 'error' event. pg then drops the broken client.
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
