import type { Kysely } from 'kysely';

// The stages of the inbound path that were not run on a message (a hostile or unparseable body,
// a time limit), and why: JSON [{stage, reason}], null when every stage ran.
export async function up(db: Kysely<any>): Promise<void> {
  const tables = await db.introspection.getTables();
  const has = tables.find((t) => t.name === 'inbound_details')?.columns.some((c) => c.name === 'skipped') ?? false;
  if (!has) await db.schema.alterTable('inbound_details').addColumn('skipped', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inbound_details').dropColumn('skipped').execute();
}
