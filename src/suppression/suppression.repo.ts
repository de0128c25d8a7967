import { sql } from 'kysely';
import { compiled } from '../db/compiled.js';
import type { Executor, SuppressionsTable } from '../db/schema.js';

export type SuppressionRow = SuppressionsTable;

// On every send: one primary-key lookup, compiled once, with the organization's choice of what
// a send to a suppressed address does (read only when there is an entry).
const activeOnce = compiled<{ orgId: string; email: string; now: number }>((ex, v) =>
  ex
    .selectFrom('suppressions')
    .innerJoin('organizations', 'organizations.id', 'suppressions.org_id')
    .selectAll('suppressions')
    .select('organizations.suppressed_sends')
    .where('suppressions.org_id', '=', v.orgId)
    .where('suppressions.email', '=', v.email)
    .where((eb) => eb.or([eb('suppressions.expires_at', 'is', null), eb('suppressions.expires_at', '>', v.now)])),
);
export const findActive = async (ex: Executor, orgId: string, email: string, now: number) =>
  (await activeOnce(ex, { orgId, email, now })).rows[0] as (SuppressionRow & { suppressed_sends: string }) | undefined;

/** Adds or replaces the entry of an address. */
export const upsert = (ex: Executor, row: SuppressionRow) =>
  ex
    .insertInto('suppressions')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['org_id', 'email']).doUpdateSet({ reason: row.reason, detail: row.detail, message_id: row.message_id, created_at: row.created_at, expires_at: row.expires_at }),
    )
    .execute();

export const remove = async (ex: Executor, orgId: string, email: string) =>
  Number((await ex.deleteFrom('suppressions').where('org_id', '=', orgId).where('email', '=', email).executeTakeFirst()).numDeletedRows) > 0;

const listed = (ex: Executor, orgId: string, now: number, contains: string | null) => {
  let q = ex
    .selectFrom('suppressions')
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  // LIKE's own characters in the search are taken literally (SQLite knows no escape character
  // unless told; emails are stored lower-cased, so LIKE's case rules do not matter).
  if (contains) q = q.where(sql<boolean>`${sql.ref('email')} like ${`%${contains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`);
  return q;
};

export const list = (ex: Executor, orgId: string, now: number, contains: string | null, limit: number, offset: number) =>
  listed(ex, orgId, now, contains).selectAll().orderBy('created_at', 'desc').orderBy('email').limit(limit).offset(offset).execute();

export const count = async (ex: Executor, orgId: string, now: number, contains: string | null) =>
  Number(
    (
      await listed(ex, orgId, now, contains)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Counts a soft bounce in its window (a new window once the last one has passed); returns the count. */
export async function countSoftBounce(ex: Executor, orgId: string, email: string, now: number, windowMs: number): Promise<number> {
  const row = await ex.selectFrom('soft_bounces').selectAll().where('org_id', '=', orgId).where('email', '=', email).executeTakeFirst();
  if (!row || Number(row.first_at) <= now - windowMs) {
    await ex
      .insertInto('soft_bounces')
      .values({ org_id: orgId, email, first_at: now, count: 1 })
      .onConflict((oc) => oc.columns(['org_id', 'email']).doUpdateSet({ first_at: now, count: 1 }))
      .execute();
    return 1;
  }
  await ex
    .updateTable('soft_bounces')
    .set({ count: row.count + 1 })
    .where('org_id', '=', orgId)
    .where('email', '=', email)
    .execute();
  return row.count + 1;
}

export const clearSoftBounces = (ex: Executor, orgId: string, email: string) => ex.deleteFrom('soft_bounces').where('org_id', '=', orgId).where('email', '=', email).execute();
