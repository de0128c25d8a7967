import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { TxBatcher } from '../../src/db/batcher.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { openDatabase } from '../../src/db/open.js';
import type { Db } from '../../src/db/schema.js';
import { atEnd } from '../helpers/cleanup.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/service.js';

// How statements reach the database, on a real one: a SQLite file here, a PostgreSQL database
// in the integration-pg project (where savepoints share round trips and recurring statements
// run prepared).

async function database(): Promise<{ db: Db; other: Db }> {
  const url = (await testDatabaseUrl()) ?? `sqlite://${path.join(tempDir(), 'statements.db')}`;
  const open = () => {
    const o = openDatabase(url);
    atEnd(() => o.close());
    return o.db;
  };
  const db = open();
  await migrateToLatest(db);
  return { db, other: open() };
}

const job = (id: string, key = id) => ({
  id,
  kind: 'test.batch',
  key,
  org_id: null,
  run_at: 0,
  attempts: 0,
  claimed_by: null,
  claimed_until: null,
  payload: null,
  last_error: null,
  created_at: 0,
});

describe('group commit', () => {
  it('keeps the writes of every piece that succeeded, whichever pieces around it failed', async () => {
    const { db } = await database();
    const batcher = new TxBatcher(db);
    const insert = (id: string, key?: string) => (trx: Db) => trx.insertInto('jobs').values(job(id, key)).execute();
    // Queued in one tick: one transaction. A piece the database refuses (a duplicate key) and
    // one that throws after writing sit between pieces that succeed, and one comes first.
    const results = await Promise.allSettled([
      batcher.run(async () => {
        throw new Error('refused before writing');
      }),
      batcher.run(insert('a')),
      batcher.run(insert('dup', 'a')),
      batcher.run(insert('b')),
      batcher.run(async (trx) => {
        await insert('c')(trx);
        throw new Error('refused after writing');
      }),
      batcher.run(async (trx) => {
        await insert('d')(trx);
        await insert('e')(trx);
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    const ids = await db.selectFrom('jobs').select('id').where('kind', '=', 'test.batch').orderBy('id').execute();
    expect(ids.map((r) => r.id)).toEqual(['a', 'b', 'd', 'e']);
  });
});

describe('a statement that recurs', () => {
  it('returns the new columns after another instance changes the table, failing at most once', async () => {
    const { db, other } = await database();
    await sql`create table plan_test (id text primary key, a text)`.execute(db);
    await sql`insert into plan_test (id, a) values ('x', 'one')`.execute(db);
    const read = async () => (await sql<Record<string, unknown>>`select * from plan_test where id = ${'x'}`.execute(db)).rows[0];
    for (let i = 0; i < 5; i++) expect(await read()).toEqual({ id: 'x', a: 'one' });
    await sql`alter table plan_test add column b text`.execute(other);
    let failures = 0;
    let row: Record<string, unknown> | undefined;
    for (let i = 0; i < 10 && !row; i++) row = await read().catch(() => void failures++);
    expect(row).toEqual({ id: 'x', a: 'one', b: null });
    for (let i = 0; i < 5; i++) expect(await read()).toEqual({ id: 'x', a: 'one', b: null });
    expect(failures).toBeLessThanOrEqual(1);
  });
});
