import type { Kysely } from 'kysely';

// What only an inbound message has: its SMTP envelope and session, what kind of mail it is
// (reply, auto-reply, bounce, complaint), its new text without quoted history, and a content
// hash for recognising the same message delivered twice.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbound_details')
    .ifNotExists()
    .addColumn('message_id', 'text', (c) => c.primaryKey().references('messages.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('envelope_from', 'text', (c) => c.notNull())
    .addColumn('envelope_to', 'text', (c) => c.notNull())
    .addColumn('remote_address', 'text', (c) => c.notNull())
    .addColumn('helo', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('kind_reason', 'text', (c) => c.notNull())
    .addColumn('reply_text', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inbound_details_hash').ifNotExists().on('inbound_details').columns(['content_hash']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('inbound_details').ifExists().execute();
}
