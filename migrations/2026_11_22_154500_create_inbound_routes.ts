import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbound_routes')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('domain_name', 'text', (c) => c.notNull().references('inbound_domains.id'))
    .addColumn('pattern', 'text', (c) => c.notNull())
    .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id'))
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('inbound_routes_domain_pattern', ['domain_name', 'pattern'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('inbound_routes').ifExists().execute();
}
