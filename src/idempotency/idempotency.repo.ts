import type { Executor, IdempotencyKeysTable } from '../db/schema.js';

export const find = (db: Executor, orgId: string, key: string) =>
  db.selectFrom('idempotency_keys').selectAll().where('org_id', '=', orgId).where('key', '=', key).executeTakeFirst();

export const upsert = (db: Executor, row: IdempotencyKeysTable) =>
  db
    .insertInto('idempotency_keys')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['org_id', 'key']).doUpdateSet({
        request_hash: row.request_hash,
        status_code: row.status_code,
        response_body: row.response_body,
        created_at: row.created_at,
      }),
    )
    .execute();

export const deleteBefore = (db: Executor, before: number) => db.deleteFrom('idempotency_keys').where('created_at', '<', before).execute();
