import type { Kysely } from 'kysely';

// The queue a conversation's replies go to, fixed when its first reply is routed.
export async function up(db: Kysely<any>): Promise<void> {
  const cols = await db.introspection.getTables().then((ts) => ts.find((t) => t.name === 'conversations')?.columns ?? []);
  if (cols.some((c) => c.name === 'queue_id')) return; // re-run after a cut-off: already done
  await db.schema.alterTable('conversations').addColumn('queue_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('conversations').dropColumn('queue_id').execute();
}
