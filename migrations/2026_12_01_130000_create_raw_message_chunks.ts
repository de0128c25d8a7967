import type { Kysely } from 'kysely';

// A received (or quarantined) message's bytes past its first piece, in order, so that a large
// message is written and read a piece at a time (src/inbound/raw-chunks.ts). `owner_id` is a
// raw_messages row's message_id or a quarantine row's id: the first piece stays in that row.
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
  await db.schema
    .createTable('raw_message_chunks')
    .ifNotExists()
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('chunk', postgres ? 'bytea' : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('raw_message_chunks_pk', ['owner_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('raw_message_chunks').ifExists().execute();
}
