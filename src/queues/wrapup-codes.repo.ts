import type { Executor, QueueWrapupCodesTable, WrapupCodesTable } from '../db/schema.js';

export type WrapupCodeRow = WrapupCodesTable;

export const insertCode = (db: Executor, row: WrapupCodeRow) => db.insertInto('wrapup_codes').values(row).execute();

export const findCode = (db: Executor, orgId: string, id: string) => db.selectFrom('wrapup_codes').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();

export const findCodeByName = (db: Executor, orgId: string, name: string) =>
  db.selectFrom('wrapup_codes').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();

export const findCodes = (db: Executor, orgId: string, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('wrapup_codes').selectAll().where('org_id', '=', orgId).where('id', 'in', ids).execute();

export const listCodes = (db: Executor, orgId: string, limit: number, offset: number) =>
  db.selectFrom('wrapup_codes').selectAll().where('org_id', '=', orgId).orderBy('name').orderBy('id').limit(limit).offset(offset).execute();

export const countCodes = async (db: Executor, orgId: string) =>
  Number(
    (
      await db
        .selectFrom('wrapup_codes')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('org_id', '=', orgId)
        .executeTakeFirstOrThrow()
    ).n,
  );

export const renameCode = (db: Executor, orgId: string, id: string, name: string, at: number) =>
  db.updateTable('wrapup_codes').set({ name, updated_at: at }).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();

export const deleteCode = (db: Executor, orgId: string, id: string) => db.deleteFrom('wrapup_codes').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();

/** The codes a queue offers, by name. */
export const listQueueCodes = (db: Executor, queueId: string) =>
  db
    .selectFrom('queue_wrapup_codes')
    .innerJoin('wrapup_codes', 'wrapup_codes.id', 'queue_wrapup_codes.code_id')
    .selectAll('wrapup_codes')
    .where('queue_wrapup_codes.queue_id', '=', queueId)
    .orderBy('wrapup_codes.name')
    .orderBy('wrapup_codes.id')
    .execute();

export const insertQueueCodes = (db: Executor, rows: QueueWrapupCodesTable[]) =>
  rows.length === 0
    ? Promise.resolve()
    : db
        .insertInto('queue_wrapup_codes')
        .values(rows)
        .onConflict((oc) => oc.columns(['queue_id', 'code_id']).doNothing())
        .execute();

export const deleteQueueCode = (db: Executor, queueId: string, codeId: string) =>
  db.deleteFrom('queue_wrapup_codes').where('queue_id', '=', queueId).where('code_id', '=', codeId).executeTakeFirst();
