import type { Kysely } from 'kysely';

// 1: a conversation an outbound configuration with conversationRecord "onResponse" started; it
// is left out of the conversation listings until the customer's first reply clears it.
export async function up(db: Kysely<any>): Promise<void> {
  const cols = await db.introspection.getTables().then((ts) => ts.find((t) => t.name === 'conversations')?.columns ?? []);
  if (cols.some((c) => c.name === 'awaiting_reply')) return; // re-run after a cut-off: already done
  await db.schema
    .alterTable('conversations')
    .addColumn('awaiting_reply', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('conversations').dropColumn('awaiting_reply').execute();
}
