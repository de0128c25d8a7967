import type { Kysely } from 'kysely';

// The threading headers of every message we sent or received, so a later reply can be matched
// by In-Reply-To / References (through messages.message_id_header) or by Outlook's Thread-Index.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('message_threading')
    .ifNotExists()
    .addColumn('message_id', 'text', (c) => c.primaryKey().references('messages.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('in_reply_to', 'text')
    .addColumn('references_list', 'text')
    .addColumn('thread_index', 'text')
    .addColumn('thread_index_root', 'text')
    .addColumn('thread_topic', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('message_threading_root').ifNotExists().on('message_threading').columns(['thread_index_root', 'org_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('message_threading').ifExists().execute();
}
