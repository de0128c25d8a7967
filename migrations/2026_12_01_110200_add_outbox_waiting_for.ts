import type { Kysely } from 'kysely';

// A message deferred because its relay or MX could not be reached names that target here, so
// that it is tried again as soon as the target answers a probe, not when its retry delay ends.
export async function up(db: Kysely<any>): Promise<void> {
  const cols = await db.introspection.getTables().then((ts) => ts.find((t) => t.name === 'outbox')?.columns ?? []);
  if (cols.some((c) => c.name === 'waiting_for')) return; // re-run after a cut-off: already done
  await db.schema.alterTable('outbox').addColumn('waiting_for', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('waiting_for').execute();
}
