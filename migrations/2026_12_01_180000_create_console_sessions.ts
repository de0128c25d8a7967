import type { Kysely } from 'kysely';

// Web console sessions (src/console/): the cookie carries a random token, the table only its
// SHA-256, so a copy of the database signs nobody in. A session ends at `expires_at` (absolute)
// or after a stretch without requests (idle, judged from `last_seen_at`), and at sign-out.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('console_sessions')
    .ifNotExists()
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    /** The token every form and htmx request under /console must carry. */
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('console_sessions_expiry').ifNotExists().on('console_sessions').column('expires_at').execute();
  // A user's sessions, newest first: sign-in keeps only the newest few.
  await db.schema.createIndex('console_sessions_user').ifNotExists().on('console_sessions').columns(['user_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('console_sessions').ifExists().execute();
}
