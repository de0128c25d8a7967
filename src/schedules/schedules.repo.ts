import type { Executor, OutboundScheduleRunsTable, OutboundSchedulesTable } from '../db/schema.js';

export const insertSchedule = (db: Executor, row: OutboundSchedulesTable) => db.insertInto('outbound_schedules').values(row).execute();
export const findSchedule = (db: Executor, orgId: string, id: string) => db.selectFrom('outbound_schedules').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
export const listSchedules = (db: Executor, orgId: string, limit: number, offset: number) =>
  db.selectFrom('outbound_schedules').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
export const countSchedules = async (db: Executor, orgId: string) =>
  Number(
    (
      await db
        .selectFrom('outbound_schedules')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('org_id', '=', orgId)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Stops a schedule that is still active; false when it was not (already done, failed or cancelled). */
export async function cancel(db: Executor, orgId: string, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('outbound_schedules')
    .set({ state: 'cancelled', next_run_at: null, updated_at: now })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('state', '=', 'active')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Takes due time `dueAt` of an active schedule: moves it on to `next` (null: nothing more is
 * due). Conditional on the schedule still waiting for `dueAt`, so of two instances running the
 * same due time (PostgreSQL locks the row) or a cancel racing it, only one takes it.
 */
export async function advance(db: Executor, id: string, dueAt: number, next: number | null, now: number, lastError: string | null = null): Promise<boolean> {
  const r = await db
    .updateTable('outbound_schedules')
    .set((eb) => ({ next_run_at: next, state: next === null ? 'done' : 'active', last_run_at: now, runs: eb('runs', '+', 1), last_error: lastError, updated_at: now }))
    .where('id', '=', id)
    .where('state', '=', 'active')
    .where('next_run_at', '=', dueAt)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Ends a one-off schedule whose due time could not be sent. */
export const fail = (db: Executor, id: string, dueAt: number, error: string, now: number) =>
  db.updateTable('outbound_schedules').set({ state: 'failed', next_run_at: null, last_error: error, updated_at: now }).where('id', '=', id).where('next_run_at', '=', dueAt).execute();

/** The key of a due time: a second insert for it fails, and its transaction with it. */
export const insertRun = (db: Executor, row: OutboundScheduleRunsTable) => db.insertInto('outbound_schedule_runs').values(row).execute();
