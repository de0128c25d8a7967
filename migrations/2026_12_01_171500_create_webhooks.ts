import type { Kysely } from 'kysely';

// Webhook subscriptions (src/webhooks/): each follows the event log by its own cursor and
// delivers one event at a time; the event at its head has `head_tries` failed tries and is next
// tried at `retry_at`. Replays wait in webhook_replays, and every try is kept in webhook_attempts.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_subscriptions')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    /** JSON array, or null: every type. */
    .addColumn('event_types', 'text')
    .addColumn('description', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    /** Why it was disabled by threadline (`gone`: the receiver answered 410), else null. */
    .addColumn('disabled_reason', 'text')
    /** Sealed (src/crypto/sealed.ts). */
    .addColumn('secret', 'text', (c) => c.notNull())
    /** The secret before the last rotation, still signing until `previous_until`. */
    .addColumn('previous_secret', 'text')
    .addColumn('previous_until', 'bigint')
    .addColumn('cursor_tx', 'bigint', (c) => c.notNull())
    .addColumn('cursor_seq', 'bigint', (c) => c.notNull())
    .addColumn('head_event_id', 'text')
    .addColumn('head_tries', 'integer', (c) => c.notNull())
    .addColumn('retry_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_subscriptions_org').ifNotExists().on('webhook_subscriptions').columns(['org_id', 'created_at']).execute();
  await db.schema
    .createTable('webhook_attempts')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('try', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    /** The start of the answer's body, bounded. */
    .addColumn('excerpt', 'text')
    /** delivered | retrying | dead | disabled */
    .addColumn('outcome', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_attempts_subscription').ifNotExists().on('webhook_attempts').columns(['subscription_id', 'id']).execute();
  await db.schema
    .createTable('webhook_replays')
    .ifNotExists()
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('event_tx', 'bigint', (c) => c.notNull())
    .addColumn('event_seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_replays_pk', ['subscription_id', 'event_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_replays').ifExists().execute();
  await db.schema.dropTable('webhook_attempts').ifExists().execute();
  await db.schema.dropTable('webhook_subscriptions').ifExists().execute();
}
