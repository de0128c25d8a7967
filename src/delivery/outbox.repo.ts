import type { Executor } from '../db/schema.js';

export const insert = (db: Executor, messageId: string, orgId: string, at: number) =>
  db.insertInto('outbox').values({ message_id: messageId, org_id: orgId, next_attempt_at: at, attempts: 0, claimed_by: null, claimed_until: null }).execute();

/**
 * Claims up to `limit` due rows for one worker. A plain UPDATE … WHERE id IN (SELECT …) is
 * atomic on SQLite (one writer); on PostgreSQL the inner SELECT adds FOR UPDATE SKIP LOCKED so
 * that several instances claim disjoint rows.
 */
export async function claim(db: Executor, opts: { /** unique per claim */ owner: string; now: number; leaseMs: number; limit: number; skipLocked: boolean }) {
  let due = db
    .selectFrom('outbox')
    .select('message_id')
    .where('next_attempt_at', '<=', opts.now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', opts.now)]))
    .orderBy('next_attempt_at')
    .limit(opts.limit);
  if (opts.skipLocked) due = due.forUpdate().skipLocked();
  await db
    .updateTable('outbox')
    .set({ claimed_by: opts.owner, claimed_until: opts.now + opts.leaseMs })
    .where('message_id', 'in', due)
    .execute();
  return db.selectFrom('outbox').select(['message_id', 'attempts']).where('claimed_by', '=', opts.owner).execute();
}

export const remove = (db: Executor, messageId: string) => db.deleteFrom('outbox').where('message_id', '=', messageId).execute();

export const reschedule = (db: Executor, messageId: string, at: number, attempts: number) =>
  db.updateTable('outbox').set({ next_attempt_at: at, attempts, claimed_by: null, claimed_until: null }).where('message_id', '=', messageId).execute();

/** After a restart on SQLite nobody else can hold a claim: give every row back. */
export const releaseAll = (db: Executor) => db.updateTable('outbox').set({ claimed_by: null, claimed_until: null }).where('claimed_by', 'is not', null).execute();

export const depth = async (db: Executor) =>
  Number((await db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
