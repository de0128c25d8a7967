import type { Kysely } from 'kysely';

// Outbound configurations: who a template is sent as, and where the conversation and its replies go.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbound_configurations')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('channel_type', 'text', (c) => c.notNull())
    .addColumn('from_email', 'text', (c) => c.notNull())
    .addColumn('from_name', 'text')
    // The foreign keys keep a template or queue in use from being deleted under a configuration.
    .addColumn('template_id', 'text', (c) => c.notNull().references('outbound_templates.id'))
    .addColumn('show_in_timeline', 'integer', (c) => c.notNull())
    .addColumn('conversation_record', 'text', (c) => c.notNull())
    .addColumn('queue_id', 'text', (c) => c.references('queues.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbound_configurations_org').ifNotExists().on('outbound_configurations').columns(['org_id', 'name']).execute();
  await db.schema.createIndex('outbound_configurations_template').ifNotExists().on('outbound_configurations').columns(['template_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbound_configurations').ifExists().execute();
}
