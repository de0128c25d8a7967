import type { Kysely } from 'kysely';

// Per-organization threading rules; an organization without a row uses the defaults
// (30-day window, subject changes ignored).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('threading_settings')
    .ifNotExists()
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.id'))
    .addColumn('window_days', 'integer', (c) => c.notNull())
    .addColumn('subject_threading', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('threading_settings').ifExists().execute();
}
