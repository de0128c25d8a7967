import type { Kysely } from 'kysely';

// The exact bytes received, kept in the database so that the 250 reply and the stored message
// are one commit (and every instance on a shared PostgreSQL sees them).
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
  await db.schema
    .createTable('raw_messages')
    .ifNotExists()
    .addColumn('message_id', 'text', (c) => c.primaryKey().references('messages.id'))
    .addColumn('raw', postgres ? 'bytea' : 'blob', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('raw_messages').ifExists().execute();
}
