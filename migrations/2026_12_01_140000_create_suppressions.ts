import type { Kysely } from 'kysely';

// The addresses an organization must not mail: a hard bounce, a complaint, repeated soft
// bounces (an entry that expires) or an administrator's entry. Soft bounces are counted per
// address in a window before they suppress it. The organization chooses whether a send to a
// suppressed address is refused (400) or recorded as `suppressed` and never sent.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('suppressions')
    .ifNotExists()
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    /** Lower-cased: one entry per mailbox, however a sender spells it. */
    .addColumn('email', 'text', (c) => c.notNull())
    /** hard-bounce | complaint | soft-bounce | manual */
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    /** The message whose bounce or complaint added it. */
    .addColumn('message_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    /** Null: until removed. */
    .addColumn('expires_at', 'bigint')
    .addPrimaryKeyConstraint('suppressions_pk', ['org_id', 'email'])
    .execute();
  await db.schema
    .createTable('soft_bounces')
    .ifNotExists()
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('first_at', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('soft_bounces_pk', ['org_id', 'email'])
    .execute();
  const cols = await db.introspection.getTables().then((ts) => ts.find((t) => t.name === 'organizations')?.columns ?? []);
  if (!cols.some((c) => c.name === 'suppressed_sends')) {
    /** refuse | record */
    await db.schema
      .alterTable('organizations')
      .addColumn('suppressed_sends', 'text', (c) => c.notNull().defaultTo('refuse'))
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organizations').dropColumn('suppressed_sends').execute();
  await db.schema.dropTable('soft_bounces').ifExists().execute();
  await db.schema.dropTable('suppressions').ifExists().execute();
}
