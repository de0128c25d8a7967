import type { Kysely } from 'kysely';

// Localized message templates (the Dynamics 365 model). The localizations are one JSON column:
// a template is always read and written whole, and checked as a whole when saved.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbound_templates')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('default_locale', 'text', (c) => c.notNull())
    .addColumn('localizations', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbound_templates_org').ifNotExists().on('outbound_templates').columns(['org_id', 'name']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbound_templates').ifExists().execute();
}
