import type { Kysely } from 'kysely';

// The console's charts count an organization's events of a few types per stretch of time
// (src/events/events.repo.ts countByBucket): with only (org_id, tx, seq) indexed, that read the
// organization's whole log. This index reads each type's events of the range and nothing else.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('event_log_org_type_at').ifNotExists().on('event_log').columns(['org_id', 'type', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('event_log_org_type_at').ifExists().execute();
}
