import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { TxBatcher } from '../../src/db/batcher.js';
import { recording } from '../helpers/recording-db.js';

const statements = (ran: { sql: string }[]) => ran.map((q) => q.sql);

describe('TxBatcher', () => {
  it('runs work queued with runSoon() in the transaction that the next run() starts', async () => {
    const { db, ran } = recording('sqlite');
    const batcher = new TxBatcher(db);
    const later = batcher.runSoon((trx) => sql`select 'later'`.execute(trx), 60_000);
    const now = batcher.run((trx) => sql`select 'now'`.execute(trx));
    await Promise.all([later, now]);
    // Two pieces in one transaction: each in its own savepoint; the commit releases the last.
    expect(statements(ran)).toEqual(['savepoint tl_item', "select 'later'", 'release savepoint tl_item', 'savepoint tl_item', "select 'now'"]);
  });

  it('on PostgreSQL, moves from one piece to the next in one round trip', async () => {
    const { db, ran } = recording('postgres');
    const batcher = new TxBatcher(db);
    await Promise.all(['a', 'b', 'c'].map((name) => batcher.run((trx) => sql`select ${sql.lit(name)}`.execute(trx))));
    expect(statements(ran)).toEqual([
      'savepoint tl_item',
      "select 'a'",
      'release savepoint tl_item; savepoint tl_item',
      "select 'b'",
      'release savepoint tl_item; savepoint tl_item',
      "select 'c'",
    ]);
  });

  it('runs work queued with runSoon() by itself when nothing else comes', async () => {
    const { db, ran } = recording('sqlite');
    const batcher = new TxBatcher(db);
    await batcher.runSoon((trx) => sql`select 'alone'`.execute(trx), 1);
    await batcher.idle();
    expect(statements(ran)).toEqual(["select 'alone'"]);
  });
});
