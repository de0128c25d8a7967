import { type Kysely, sql } from 'kysely';

// One row per piece of agent work (a customer's reply waiting for an answer). `state` is
// waiting → leased → completed; a decline, transfer or expired lease puts it back to waiting.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('work_items')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id'))
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id'))
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('enqueued_at', 'bigint', (c) => c.notNull())
    .addColumn('offered_to', 'text')
    .addColumn('offer_until', 'bigint')
    .addColumn('declined_by', 'text')
    .addColumn('declined_until', 'bigint')
    .addColumn('agent_id', 'text')
    .addColumn('lease_token', 'text')
    .addColumn('leased_at', 'bigint')
    .addColumn('lease_until', 'bigint')
    .addColumn('lease_expiries', 'integer', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .addColumn('completed_by', 'text')
    .addColumn('wrapup_code', 'text')
    .addColumn('wrapup_notes', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // Pull-next walks this index in queue order; the expiry worker and stats use the others.
  await db.schema.createIndex('work_items_pull').ifNotExists().on('work_items').columns(['queue_id', 'state', 'priority desc', 'enqueued_at']).execute();
  await db.schema.createIndex('work_items_lease').ifNotExists().on('work_items').columns(['state', 'lease_until']).execute();
  await db.schema.createIndex('work_items_agent').ifNotExists().on('work_items').columns(['agent_id', 'state']).execute();
  await db.schema.createIndex('work_items_lease_token').ifNotExists().unique().on('work_items').column('lease_token').execute();
  await db.schema.createIndex('work_items_completed').ifNotExists().on('work_items').columns(['queue_id', 'completed_at']).execute();
  await db.schema.createIndex('work_items_conversation').ifNotExists().on('work_items').columns(['conversation_id', 'completed_at']).execute();
  // At most one open item per conversation: a second reply joins the item already queued.
  await db.schema.createIndex('work_items_open_conversation').ifNotExists().unique().on('work_items').column('conversation_id').where(sql.ref('state'), '<>', 'completed').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('work_items').ifExists().execute();
}
