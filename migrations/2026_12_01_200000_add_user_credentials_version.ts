import type { Kysely } from 'kysely';

// A user's access tokens carry the version of their credentials they were issued under; a
// password change raises it, so the tokens issued before stop working (src/auth/auth.service.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('credentials_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('credentials_version').execute();
}
