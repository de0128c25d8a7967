import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database, Db } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDb {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

/** Opens the database named by THREADLINE_DATABASE_URL: sqlite://PATH or postgres://… */
export function openDatabase(url: string): OpenedDb {
  if (url.startsWith('sqlite://')) return openSqlite(url.slice('sqlite://'.length));
  return openPostgres(url);
}

function openSqlite(file: string): OpenedDb {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
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
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql); // re-insert: the Map's order is the LRU order
      } else {
        stmt = sqlite.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

// BIGINT (int8) and COUNT(*) come back from pg as strings; every time we store fits in a double.
pg.types.setTypeParser(20, (v) => Number(v));

function openPostgres(url: string): OpenedDb {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
