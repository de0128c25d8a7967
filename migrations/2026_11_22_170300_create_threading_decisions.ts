import type { Kysely } from 'kysely';

// Why each inbound message went where it went: the signal that matched, every candidate that
// was rejected and the reason. Readable through the API; the basis for split and merge.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('threading_decisions')
    .ifNotExists()
    .addColumn('message_id', 'text', (c) => c.primaryKey().references('messages.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('signal', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('threading_decisions').ifExists().execute();
}
