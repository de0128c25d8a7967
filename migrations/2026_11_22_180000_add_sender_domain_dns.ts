import type { Kysely } from 'kysely';

// Sender domains get DNS verification and DKIM keys. A domain's latest check is kept as JSON
// on its row; `next_check_at` doubles as the claim for the periodic check (compare-and-set,
// so several instances never check one domain at once).
export async function up(db: Kysely<any>): Promise<void> {
  const cols = await db.introspection.getTables().then((ts) => ts.find((t) => t.name === 'sender_domains')?.columns ?? []);
  if (!cols.some((c) => c.name === 'check_results')) {
    await db.schema.alterTable('sender_domains').addColumn('check_results', 'text').execute();
    await db.schema.alterTable('sender_domains').addColumn('checked_at', 'bigint').execute();
    await db.schema.alterTable('sender_domains').addColumn('verified_at', 'bigint').execute();
    await db.schema
      .alterTable('sender_domains')
      .addColumn('next_check_at', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  }
  await db.schema
    .createTable('dkim_keys')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('domain_id', 'text', (c) => c.notNull().references('sender_domains.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('selector', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('bits', 'integer', (c) => c.notNull())
    /** base64 DER (SubjectPublicKeyInfo): the p= of the DNS record. */
    .addColumn('public_key', 'text', (c) => c.notNull())
    /** PKCS#8 PEM sealed with THREADLINE_SECRET (src/crypto/sealed.ts). */
    .addColumn('private_key_sealed', 'text', (c) => c.notNull())
    /** pending (published, waiting to verify) → active (signing) → retiring (published, not signing) → retired. */
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('dns_status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('activated_at', 'bigint')
    .addColumn('retiring_at', 'bigint')
    .addColumn('retired_at', 'bigint')
    .execute();
  await db.schema.createIndex('dkim_keys_selector').ifNotExists().unique().on('dkim_keys').columns(['domain_id', 'selector']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dkim_keys').ifExists().execute();
  for (const c of ['check_results', 'checked_at', 'verified_at', 'next_check_at']) await db.schema.alterTable('sender_domains').dropColumn(c).execute();
}
