import type { Kysely } from 'kysely';

// What mailauth found for each inbound message (SPF, DKIM, DMARC, ARC), and the per-organization
// policy for appending replies to conversations (null: THREADLINE_INBOUND_AUTH's default).
export async function up(db: Kysely<any>): Promise<void> {
  const tables = await db.introspection.getTables();
  const has = (table: string, column: string) => tables.find((t) => t.name === table)?.columns.some((c) => c.name === column) ?? false;
  if (!has('inbound_details', 'auth_results')) {
    await db.schema.alterTable('inbound_details').addColumn('auth_results', 'text').execute();
    await db.schema.alterTable('inbound_details').addColumn('auth_summary', 'text').execute();
  }
  if (!has('threading_settings', 'inbound_auth')) {
    await db.schema.alterTable('threading_settings').addColumn('inbound_auth', 'text').execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inbound_details').dropColumn('auth_results').execute();
  await db.schema.alterTable('inbound_details').dropColumn('auth_summary').execute();
  await db.schema.alterTable('threading_settings').dropColumn('inbound_auth').execute();
}
