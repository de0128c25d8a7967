import { compiled } from '../db/compiled.js';
import type { Executor } from '../db/schema.js';
import { leasedTable } from '../jobs/leases.js';

const insertOnce = compiled<{ messageId: string; orgId: string; at: number }>((ex, v) =>
  ex.insertInto('outbox').values({ message_id: v.messageId, org_id: v.orgId, next_attempt_at: v.at, attempts: 0, claimed_by: null, claimed_until: null, waiting_for: null }),
);
export const insert = (db: Executor, messageId: string, orgId: string, at: number) => insertOnce(db, { messageId, orgId, at });

const outbox = leasedTable<{ message_id: string; attempts: number }>({ table: 'outbox', id: 'message_id', due: 'next_attempt_at', carry: ['waiting_for'] });

/** Claims up to `limit` due messages for one worker (leases.ts). */
export const claim = outbox.claim;

/** Extends one worker's claims (its tokens are `worker:n`) on the given messages until `until`. */
export const renew = outbox.renew;

/** Removes delivered (or given up) messages: one statement for all of them. */
export const remove = (db: Executor, messageIds: string[]) => (messageIds.length === 0 ? Promise.resolve() : db.deleteFrom('outbox').where('message_id', 'in', messageIds).execute());

/** `waitingFor`: the target the attempt could not reach, whose return makes the message due at once. */
export const reschedule = (db: Executor, messageId: string, at: number, attempts: number, waitingFor: string | null = null) =>
  outbox.reschedule(db, messageId, at, attempts, { waiting_for: waitingFor });

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
export const releaseAll = outbox.releaseAll;

export const depth = async (db: Executor) =>
  Number(
    (
      await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
