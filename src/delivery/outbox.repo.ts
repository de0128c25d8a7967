import { compiled } from '../db/compiled.js';
import type { Executor } from '../db/schema.js';

const insertOnce = compiled<{ messageId: string; orgId: string; at: number }>((ex, v) =>
  ex.insertInto('outbox').values({ message_id: v.messageId, org_id: v.orgId, next_attempt_at: v.at, attempts: 0, claimed_by: null, claimed_until: null, waiting_for: null }),
);
export const insert = (db: Executor, messageId: string, orgId: string, at: number) => insertOnce(db, { messageId, orgId, at });

const dueRows = (ex: Executor, v: { now: number; limit: number }) =>
  ex
    .selectFrom('outbox')
    .select(['message_id', 'attempts'])
    .where('next_attempt_at', '<=', v.now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', v.now)]))
    .orderBy('next_attempt_at')
    .limit(v.limit);
const due = compiled(dueRows);
const dueLocked = compiled((ex: Executor, v: { now: number; limit: number }) => dueRows(ex, v).forUpdate().skipLocked());

/**
 * Claims up to `limit` due rows for one worker: select them, then mark them with a token unique
 * to this claim. On SQLite (one writer) the pair is atomic inside the transaction; on
 * PostgreSQL the SELECT takes FOR UPDATE SKIP LOCKED so several instances claim disjoint rows.
 * (One UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) is not safe there: the
 * planner may re-run the subquery per row and claim more than n.)
 */
export async function claim(db: Executor, opts: { /** unique per claim */ owner: string; now: number; leaseMs: number; limit: number; skipLocked: boolean }) {
  const rows = (await (opts.skipLocked ? dueLocked : due)(db, { now: opts.now, limit: opts.limit })).rows;
  if (rows.length === 0) return [];
  await db
    .updateTable('outbox')
    .set({ claimed_by: opts.owner, claimed_until: opts.now + opts.leaseMs })
    .where('message_id', 'in', rows.map((r) => r.message_id))
    .execute();
  return rows;
}

/** Extends one worker's claims (its tokens are `worker:n`) on the given messages until `until`. */
export const renew = (db: Executor, worker: string, messageIds: string[], until: number) =>
  db.updateTable('outbox').set({ claimed_until: until }).where('message_id', 'in', messageIds).where('claimed_by', 'like', `${worker}:%`).execute();

/** Removes delivered (or given up) messages: one statement for all of them. */
export const remove = (db: Executor, messageIds: string[]) =>
  messageIds.length === 0 ? Promise.resolve() : db.deleteFrom('outbox').where('message_id', 'in', messageIds).execute();

const rescheduleOnce = compiled<{ messageId: string; at: number; attempts: number; waitingFor: string | null }>((ex, v) =>
  ex.updateTable('outbox').set({ next_attempt_at: v.at, attempts: v.attempts, claimed_by: null, claimed_until: null, waiting_for: v.waitingFor }).where('message_id', '=', v.messageId),
);
/** `waitingFor`: the target the attempt could not reach, whose return makes the message due at once. */
export const reschedule = (db: Executor, messageId: string, at: number, attempts: number, waitingFor: string | null = null) => rescheduleOnce(db, { messageId, at, attempts, waitingFor });

/**
 * Makes the messages waiting for `target` due now; returns how many. Rows claimed meanwhile
 * (by any instance) are left to their claim, so a message is not taken twice.
 */
export async function wakeWaiting(db: Executor, target: string, now: number): Promise<number> {
  const r = await db
    .updateTable('outbox')
    .set({ next_attempt_at: now, waiting_for: null })
    .where('waiting_for', '=', target)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** The targets deferred messages wait for (after a restart, each is watched again). */
export const waitingTargets = async (db: Executor) =>
  (await db.selectFrom('outbox').select('waiting_for').distinct().where('waiting_for', 'is not', null).execute()).map((r) => r.waiting_for!);

/** After a restart on SQLite nobody else can hold a claim: give every row back. */
export const releaseAll = (db: Executor) => db.updateTable('outbox').set({ claimed_by: null, claimed_until: null }).where('claimed_by', 'is not', null).execute();

export const depth = async (db: Executor) =>
  Number((await db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
