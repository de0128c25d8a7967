import { compiled } from '../db/compiled.js';
import type { Executor } from '../db/schema.js';

const incrementOnce = compiled<{ orgId: string; windowStart: number }, { count: number }>((ex, v) =>
  ex
    .insertInto('rate_counters')
    .values({ org_id: v.orgId, window_start: v.windowStart, count: 1 })
    .onConflict((oc) => oc.columns(['org_id', 'window_start']).doUpdateSet((eb) => ({ count: eb('rate_counters.count', '+', 1) })))
    .returning('count'),
);

/** Adds one to the organization's counter for a window and returns the new count. */
export async function increment(db: Executor, orgId: string, windowStart: number): Promise<number> {
  return Number((await incrementOnce(db, { orgId, windowStart })).rows[0]!.count);
}

export async function countAt(db: Executor, orgId: string, windowStart: number): Promise<number> {
  const row = await db
    .selectFrom('rate_counters')
    .select('count')
    .where('org_id', '=', orgId)
    .where('window_start', '=', windowStart)
    .executeTakeFirst();
  return row ? Number(row.count) : 0;
}

export const deleteBefore = (db: Executor, windowStart: number) =>
  db.deleteFrom('rate_counters').where('window_start', '<', windowStart).execute();
