import { compiled } from '../db/compiled.js';
import type { Executor } from '../db/schema.js';

// Counters are keyed by the `org_id` column, which holds any limiter's key: an organization's id
// for the send limit, a prefixed key for the others (see ratelimit.service.ts).

const incrementOnce = compiled<{ key: string; windowStart: number }, { count: number }>((ex, v) =>
  ex
    .insertInto('rate_counters')
    .values({ org_id: v.key, window_start: v.windowStart, count: 1 })
    .onConflict((oc) => oc.columns(['org_id', 'window_start']).doUpdateSet((eb) => ({ count: eb('rate_counters.count', '+', 1) })))
    .returning('count'),
);

/** Adds one to the key's counter for a window and returns the new count. */
export async function increment(db: Executor, key: string, windowStart: number): Promise<number> {
  return Number((await incrementOnce(db, { key, windowStart })).rows[0]!.count);
}

/** Takes back one count that `increment` added. */
export const decrement = (db: Executor, key: string, windowStart: number) =>
  db
    .updateTable('rate_counters')
    .set((eb) => ({ count: eb('count', '-', 1) }))
    .where('org_id', '=', key)
    .where('window_start', '=', windowStart)
    .where('count', '>', 0)
    .execute();

export async function countAt(db: Executor, key: string, windowStart: number): Promise<number> {
  const row = await db.selectFrom('rate_counters').select('count').where('org_id', '=', key).where('window_start', '=', windowStart).executeTakeFirst();
  return row ? Number(row.count) : 0;
}

export const deleteBefore = (db: Executor, windowStart: number) => db.deleteFrom('rate_counters').where('window_start', '<', windowStart).execute();
