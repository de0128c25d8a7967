import type { Kysely } from 'kysely';

// A reply that arrives after the threading window starts a new conversation linked to the old.
export async function up(db: Kysely<any>): Promise<void> {
  const cols = await db.introspection.getTables().then((ts) => ts.find((t) => t.name === 'conversations')?.columns ?? []);
  if (cols.some((c) => c.name === 'previous_conversation_id')) return; // re-run after a cut-off: already done
  await db.schema.alterTable('conversations').addColumn('previous_conversation_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('conversations').dropColumn('previous_conversation_id').execute();
}
