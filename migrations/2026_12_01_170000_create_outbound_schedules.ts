import type { Kysely } from 'kysely';

// Schedules of outbound invocations, and one row per due time that fired. The run's primary key
// (schedule, due time) is written in the same transaction as the messages, so a due time sends
// once whatever the number of instances or restarts.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbound_schedules')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('configuration_id', 'text', (c) => c.notNull())
    .addColumn('contact_list', 'text', (c) => c.notNull())
    .addColumn('cron', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('next_run_at', 'bigint')
    .addColumn('last_run_at', 'bigint')
    .addColumn('runs', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbound_schedules_org').ifNotExists().on('outbound_schedules').columns(['org_id', 'created_at']).execute();
  await db.schema
    .createTable('outbound_schedule_runs')
    .ifNotExists()
    .addColumn('schedule_id', 'text', (c) => c.notNull().references('outbound_schedules.id'))
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('queued', 'integer', (c) => c.notNull())
    .addColumn('skipped', 'integer', (c) => c.notNull())
    .addColumn('ran_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('outbound_schedule_runs_pk', ['schedule_id', 'due_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbound_schedule_runs').ifExists().execute();
  await db.schema.dropTable('outbound_schedules').ifExists().execute();
}
