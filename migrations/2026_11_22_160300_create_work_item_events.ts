import type { Kysely } from 'kysely';

// Each work item's history (enqueued, offered, leased, extended, declined, lease_expired,
// transferred, completed, message_added): what an agent or supervisor reads to see what
// happened, and what the queue statistics count.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('work_item_events')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('work_item_id', 'text', (c) => c.notNull().references('work_items.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('queue_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('detail', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('work_item_events_item').ifNotExists().on('work_item_events').columns(['work_item_id', 'at']).execute();
  await db.schema.createIndex('work_item_events_queue').ifNotExists().on('work_item_events').columns(['queue_id', 'type', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('work_item_events').ifExists().execute();
}
