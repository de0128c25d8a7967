import type { Kysely } from 'kysely';

// An inbound domain an organization adds through the API receives mail only once it proves
// control of the name (a DNS TXT token); until then it is a claim. Several organizations may
// claim one name (refusing the second would tell it that someone else has the name); the
// first to prove control gets the inbound_domains row, whose key is the name.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbound_domain_claims')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    /** The value the TXT record must hold. */
    .addColumn('token', 'text', (c) => c.notNull())
    /** PENDING | FAILED | UNKNOWN: the last check. */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('check_detail', 'text')
    .addColumn('checked_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('inbound_domain_claims_org_name', ['org_id', 'name'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('inbound_domain_claims').ifExists().execute();
}
