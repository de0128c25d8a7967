import type { Executor, IdempotencyKeysTable } from '../db/schema.js';

export const find = (db: Executor, orgId: string, key: string) => db.selectFrom('idempotency_keys').selectAll().where('org_id', '=', orgId).where('key', '=', key).executeTakeFirst();

/**
 * Takes the key for this request, or nothing if another request holds it. On PostgreSQL a
 * concurrent insert of the same key waits for the other transaction and then does nothing, so
 * two instances never both proceed with one key.
 */
export const claim = async (db: Executor, row: IdempotencyKeysTable) =>
  (
    await db
      .insertInto('idempotency_keys')
      .values(row)
      .onConflict((oc) => oc.columns(['org_id', 'key']).doNothing())
      .returning('key')
      .execute()
  ).length > 0;

/** Re-takes an expired key; false when someone else re-took it first. */
export const reclaimExpired = async (db: Executor, row: IdempotencyKeysTable, expiredBefore: number) =>
  Number(
    (
      await db
        .updateTable('idempotency_keys')
        .set({ request_hash: row.request_hash, status_code: row.status_code, response_body: row.response_body, created_at: row.created_at })
        .where('org_id', '=', row.org_id)
        .where('key', '=', row.key)
        .where('created_at', '<', expiredBefore)
        .executeTakeFirst()
    ).numUpdatedRows,
  ) > 0;

export const complete = (db: Executor, orgId: string, key: string, status: number, body: string) =>
  db.updateTable('idempotency_keys').set({ status_code: status, response_body: body }).where('org_id', '=', orgId).where('key', '=', key).execute();

export const deleteBefore = (db: Executor, before: number) => db.deleteFrom('idempotency_keys').where('created_at', '<', before).execute();
