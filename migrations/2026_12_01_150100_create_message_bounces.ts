import type { Kysely } from 'kysely';

// What a bounce or complaint said about a message we sent: the relay's or MX's permanent
// refusal, the last answer when retries ran out, or a report that came back (RFC 3464, a
// non-standard bounce, an ARF complaint). One row per message: the latest word on it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('message_bounces')
    .ifNotExists()
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    /** hard | soft (complaints: null) */
    .addColumn('type', 'text')
    /** RFC 3464 status x.y.z */
    .addColumn('status', 'text')
    /** failed | delayed | complained */
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('diagnostic', 'text')
    .addColumn('remote_mta', 'text')
    /** Where it was learnt: smtp (the relay or MX answered), retries, dsn, nonstandard-bounce, arf. */
    .addColumn('source', 'text', (c) => c.notNull())
    /** Sisimai's reason name (userunknown, mailboxfull …) or the complaint's feedback type. */
    .addColumn('reason', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('message_bounces').ifExists().execute();
}
