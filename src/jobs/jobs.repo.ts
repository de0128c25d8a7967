import type { Executor, JobsTable } from '../db/schema.js';
import { newId } from '../ids.js';
import { leasedTable } from './leases.js';

/** What a claim of jobs returns. */
export type ClaimedJob = Pick<JobsTable, 'id' | 'kind' | 'key' | 'org_id' | 'attempts' | 'payload'>;

export const jobs = leasedTable<ClaimedJob>({
  table: 'jobs',
  id: 'id',
  due: 'run_at',
  select: ['kind', 'key', 'org_id', 'payload'],
  partition: 'kind',
  carry: ['last_error'],
  guarded: true,
});

export interface NewJob {
  kind: string;
  /** Unique per kind: a second job with the same key is not added (`insert` returns false). */
  key?: string | null;
  orgId?: string | null;
  runAt: number;
  payload?: unknown;
}

/** Adds a job; false when its kind already has a job with this key. */
export async function insert(ex: Executor, job: NewJob, now: number): Promise<boolean> {
  const r = await ex
    .insertInto('jobs')
    .values({
      id: newId(now),
      kind: job.kind,
      key: job.key ?? null,
      org_id: job.orgId ?? null,
      run_at: job.runAt,
      attempts: 0,
      claimed_by: null,
      claimed_until: null,
      payload: job.payload === undefined ? null : JSON.stringify(job.payload),
      last_error: null,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(['kind', 'key']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * The one row of a recurring job, added if missing (first due one period from now, as a timer
 * would), and due within `everyMs` of `now`: a row left by a run with a longer period (the
 * setting changed) is not waited for.
 */
export async function ensureRecurring(ex: Executor, kind: string, everyMs: number, now: number): Promise<void> {
  await insert(ex, { kind, key: kind, runAt: now + everyMs }, now);
  await ex
    .updateTable('jobs')
    .set({ run_at: now + everyMs })
    .where('kind', '=', kind)
    .where('key', '=', kind)
    .where('run_at', '>', now + everyMs)
    .execute();
}

/** Removes a finished one-off job, unless its claim was lost meanwhile. */
export const remove = (ex: Executor, id: string, heldBy: string) => ex.deleteFrom('jobs').where('id', '=', id).where('claimed_by', '=', heldBy).execute();
