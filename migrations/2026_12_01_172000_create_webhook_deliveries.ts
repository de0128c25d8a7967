import type { Kysely } from 'kysely';

// Webhook deliveries in lanes (src/webhooks/lanes.ts): a subscription's cursor now marks the
// events handed to its lanes, and each event waiting for it is a row here. A lane (one
// conversation, one domain, …) sends its rows in log order; exactly one row of a non-empty lane
// has `next_at` (its head, due then), the rest wait with null. So a failing lane holds back
// only its own events. The head and its tries moved from the subscription to these rows; a head
// under way when this runs is handed to a lane again from the cursor, which it had not passed.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_deliveries')
    .ifNotExists()
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('lane', 'text', (c) => c.notNull())
    .addColumn('event_tx', 'bigint', (c) => c.notNull())
    .addColumn('event_seq', 'bigint', (c) => c.notNull())
    /** Failed tries so far. */
    .addColumn('tries', 'integer', (c) => c.notNull())
    /** When the lane's head is next tried; null behind the head. */
    .addColumn('next_at', 'bigint')
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['subscription_id', 'event_id'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_due').ifNotExists().on('webhook_deliveries').columns(['subscription_id', 'next_at']).execute();
  await db.schema.createIndex('webhook_deliveries_lane').ifNotExists().on('webhook_deliveries').columns(['subscription_id', 'lane', 'event_tx', 'event_seq']).execute();
  await db.schema.alterTable('webhook_subscriptions').dropColumn('head_event_id').execute();
  await db.schema.alterTable('webhook_subscriptions').dropColumn('head_tries').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_subscriptions').addColumn('head_event_id', 'text').execute();
  await db.schema
    .alterTable('webhook_subscriptions')
    .addColumn('head_tries', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.dropTable('webhook_deliveries').ifExists().execute();
}
