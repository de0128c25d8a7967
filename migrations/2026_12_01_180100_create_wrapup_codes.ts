import type { Kysely } from 'kysely';

// Wrap-up codes, as in Genesys: entities of the organization an administrator manages, and the
// list of them each queue offers its agents when they complete an item (src/queues/wrapup-codes.*).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('wrapup_codes')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('wrapup_codes_name').ifNotExists().unique().on('wrapup_codes').columns(['org_id', 'name']).execute();
  await db.schema
    .createTable('queue_wrapup_codes')
    .ifNotExists()
    .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id').onDelete('cascade'))
    .addColumn('code_id', 'text', (c) => c.notNull().references('wrapup_codes.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('queue_wrapup_codes_pk', ['queue_id', 'code_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('queue_wrapup_codes').ifExists().execute();
  await db.schema.dropTable('wrapup_codes').ifExists().execute();
}
