import type { Kysely } from 'kysely';

// What an invocation knew about each message it sent: the configuration and the Dynamics record
// it concerns (regardingobjectid), for the timeline and for schedules. No foreign key to the
// configuration: a configuration may be deleted while its messages stay.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbound_messages')
    .ifNotExists()
    .addColumn('message_id', 'text', (c) => c.primaryKey().references('messages.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('configuration_id', 'text', (c) => c.notNull())
    .addColumn('regarding_object_id', 'text')
    .addColumn('entity_relationship_name', 'text')
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('show_in_timeline', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbound_messages_regarding').ifNotExists().on('outbound_messages').columns(['org_id', 'regarding_object_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbound_messages').ifExists().execute();
}
