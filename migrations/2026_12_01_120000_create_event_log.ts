import { type Kysely, sql } from 'kysely';

// Every state change the contract names ("Events and webhooks"), written in the transaction of
// the change. Readers page by (tx, seq): on PostgreSQL `tx` is the writing transaction's id, so
// a reader can hold back rows of transactions that may still commit below its cursor (see
// src/events/events.repo.ts); on SQLite writes are serialized, seq alone is commit order, tx 0.
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
  await db.schema
    .createTable('event_log')
    .ifNotExists()
    .$call((t) => (postgres ? t.addColumn('seq', 'bigserial', (c) => c.primaryKey()) : t.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())))
    // A default, so that every insert takes its own transaction's id without knowing the dialect.
    .addColumn('tx', 'bigint', (c) => c.notNull().defaultTo(postgres ? sql`(pg_current_xact_id()::text::bigint)` : 0))
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('conversation_id', 'text')
    /** JSON object: the ids the event concerns and what changed. */
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_log_org_order').ifNotExists().on('event_log').columns(['org_id', 'tx', 'seq']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('event_log').ifExists().execute();
}
