import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { TtlCache } from '../cache.js';
import { PRIVATE_DIR, PRIVATE_FILE } from '../private-files.js';
import type { DatabaseHealth } from './health.js';
import { openPostgres } from './postgres.js';
import type { Database, Db } from './schema.js';
import { databaseUnavailable } from './unavailable.js';

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
  /** SQLite: told when a write fails for want of disk space and when writes succeed again. */
  health?: DatabaseHealth;
}

/** Opens the database named by THREADLINE_DATABASE_URL: sqlite://PATH or postgres://… */
export function openDatabase(url: string, options: OpenOptions = {}): OpenedDb {
  if (url.startsWith('sqlite://')) return openSqlite(url.slice('sqlite://'.length), options.health);
  return { ...openPostgres(url, options.onConnectionError), dialect: 'postgres' };
}

function openSqlite(file: string, health?: DatabaseHealth): OpenedDb {
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: PRIVATE_DIR });
    // SQLite creates a new database with the process's umask (often 0644, readable by everyone),
    // and its -wal and -shm files with the database file's mode: create the file first, private.
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, PRIVATE_FILE));
    health?.watchDisk(path.dirname(path.resolve(file)));
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before we answer 2xx/250, even across a power cut; group
  // commit (batcher.ts) pays one fsync for many requests.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  // Group commit runs each piece of work in a savepoint, and SQLite keeps the pages a savepoint
  // changes in a statement journal that spills to a temporary file past 64 KB: a write() for
  // every page of every piece (README, "Benchmarks", has the count). In memory, the journal
  // costs neither (it only ever serves a rollback inside a transaction; durability is the
  // WAL's). Sorts and temporary tables stay in memory too: ours are small.
  sqlite.pragma('temp_store = MEMORY');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, health) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely prepares every query anew, and preparing costs more than running most of ours. The same
 * few dozen SQL texts recur, so keep their statements (SQLite re-prepares one by itself if the
 * schema changes). Kysely runs each statement to completion, so reuse is safe.
 */
function withStatementCache(sqlite: SQLite.Database, health?: DatabaseHealth, max = 500) {
  const cache = new TtlCache<string, Statement>({ max, ttlMs: 0 });
  const watch = watcher(sqlite, health);
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = watch(sqlite.prepare(sql));
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

/** What Kysely's SQLite driver uses of a statement. */
type Statement = Pick<SQLite.Statement, 'reader' | 'all' | 'run' | 'iterate'>;

/**
 * A full disk under SQLite, made visible. A commit (or a write) that finds no space fails
 * with SQLITE_FULL and SQLite rolls the whole transaction back by itself; Kysely's ROLLBACK
 * after it then failed with "cannot rollback - no transaction is active", and that error,
 * which says nothing, replaced SQLITE_FULL on its way to HTTP (500), SMTP and the delivery
 * worker. A ROLLBACK with no transaction open is therefore skipped, so the SQLITE_FULL is what
 * the caller sees. Writes also tell `health` how they went: a failure for want of space, or a
 * committed transaction that changed rows.
 */
function watcher(sqlite: SQLite.Database, health?: DatabaseHealth) {
  let changed = false;
  const failed = (err: unknown) => {
    if (databaseUnavailable(err) === 'disk full') health?.writeFailed('disk full', err);
    if (!sqlite.inTransaction) changed = false;
    return err;
  };
  return (stmt: SQLite.Statement): Statement => {
    const rollback = /^\s*rollback\s*(transaction\s*)?;?\s*$/i.test(stmt.source);
    return {
      reader: stmt.reader,
      all: ((...params: unknown[]) => {
        try {
          return stmt.all(...params);
        } catch (err) {
          throw failed(err);
        }
      }) as SQLite.Statement['all'],
      iterate: stmt.iterate.bind(stmt) as SQLite.Statement['iterate'],
      run: ((...params: unknown[]) => {
        if (rollback && !sqlite.inTransaction) {
          changed = false;
          return { changes: 0, lastInsertRowid: 0 };
        }
        let result: SQLite.RunResult;
        try {
          result = stmt.run(...params);
        } catch (err) {
          throw failed(err);
        }
        if (rollback) changed = false;
        else if (result.changes > 0) changed = true;
        // Out of any transaction: this statement committed (a COMMIT, or a write on its own).
        if (changed && !sqlite.inTransaction) {
          changed = false;
          health?.writeSucceeded();
        }
        return result;
      }) as SQLite.Statement['run'],
    };
  };
}
