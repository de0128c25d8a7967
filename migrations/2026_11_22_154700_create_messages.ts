import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('messages')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('sender_type', 'text', (c) => c.notNull())
    // 1 when an agentless send was linked into an existing conversation by its conversationId
    // (Genesys calls these "stitched" and lists them only on request).
    .addColumn('stitched', 'integer', (c) => c.notNull())
    .addColumn('from_email', 'text', (c) => c.notNull())
    .addColumn('from_name', 'text')
    .addColumn('to_email', 'text', (c) => c.notNull())
    .addColumn('to_name', 'text')
    .addColumn('reply_to_email', 'text')
    .addColumn('reply_to_name', 'text')
    .addColumn('subject', 'text')
    .addColumn('text_body', 'text')
    .addColumn('html_body', 'text')
    .addColumn('message_id_header', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_at', 'bigint', (c) => c.notNull())
    .addColumn('last_response', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('messages_conversation').ifNotExists().on('messages').columns(['conversation_id', 'created_at']).execute();
  // Threading (In-Reply-To / References) looks messages up by their header id.
  await db.schema.createIndex('messages_message_id_header').ifNotExists().on('messages').columns(['message_id_header']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('messages').ifExists().execute();
}
