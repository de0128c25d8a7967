import type { Kysely } from 'kysely';

// Background work other than delivery (lease expiry, domain re-checks, pruning, and later
// webhook deliveries and schedules) as leased rows: any instance claims a due row for a while,
// renews the claim while it runs, and deletes or reschedules the row when done. A recurring
// job is one row per (kind, key), so several instances share it instead of each running it.
// Both statements are idempotent, so a run cut off between them completes when run again.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    /** Set for singletons and recurring jobs; one-off jobs may leave it null. */
    .addColumn('key', 'text')
    .addColumn('org_id', 'text')
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'bigint')
    .addColumn('payload', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('jobs_kind_key', ['kind', 'key'])
    .execute();
  await db.schema.createIndex('jobs_due').ifNotExists().on('jobs').columns(['kind', 'run_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('jobs').ifExists().execute();
}
