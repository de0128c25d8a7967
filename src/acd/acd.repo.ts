import { sql } from 'kysely';
import { compiled, compiledInsertRows, LIMIT_ONE } from '../db/compiled.js';
import type { Executor, WorkItemEventsTable, WorkItemsTable } from '../db/schema.js';

export type WorkItemRow = WorkItemsTable;
export type WorkItemEventRow = WorkItemEventsTable;

/** The lease columns cleared whenever an item leaves an agent's hands. */
export const RELEASED = { agent_id: null, lease_token: null, leased_at: null, lease_until: null } as const;

export const insertItem = (db: Executor, row: WorkItemRow) => db.insertInto('work_items').values(row).execute();

/** One statement whatever the number of rows. */
export const insertEvents = compiledInsertRows('work_item_events', { id: true, work_item_id: true, org_id: true, queue_id: true, type: true, agent_id: true, detail: true, at: true });

export const listEvents = (db: Executor, itemId: string) => db.selectFrom('work_item_events').selectAll().where('work_item_id', '=', itemId).orderBy('at').orderBy('id').execute();

export const findItem = (db: Executor, orgId: string, id: string) => db.selectFrom('work_items').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();

// A reply to a conversation with an open item (most replies) runs these: compiled once
// (db/compiled.ts). 'completed' is a literal so that SQLite uses the partial index
// work_items_open_conversation; bound, it re-plans the statement on every run, several times the cost.
const findOpenOnce = compiled((ex: Executor, v: { conversationId: string }) =>
  ex
    .selectFrom('work_items')
    .select(['id', 'org_id', 'queue_id', 'priority', 'offered_to', 'offer_until'])
    .where('conversation_id', '=', v.conversationId)
    .where('state', '<>', sql.lit('completed'))
    .limit(LIMIT_ONE),
);
export const findOpenForConversation = async (db: Executor, conversationId: string) => (await findOpenOnce(db, { conversationId })).rows[0];

const setPriorityOnce = compiled((ex: Executor, v: { id: string; priority: number; now: number }) =>
  ex.updateTable('work_items').set({ priority: v.priority, updated_at: v.now }).where('id', '=', v.id),
);
export const setPriority = (db: Executor, id: string, priority: number, now: number) => setPriorityOnce(db, { id, priority, now });

export const lastCompletedBy = async (db: Executor, conversationId: string) =>
  (
    await db
      .selectFrom('work_items')
      .select('completed_by')
      .where('conversation_id', '=', conversationId)
      .where('state', '=', 'completed')
      .orderBy('completed_at', 'desc')
      .limit(1)
      .executeTakeFirst()
  )?.completed_by ?? null;

/** The items an agent holds right now, the longest held first. */
export const listHeld = (db: Executor, orgId: string, agentId: string, now: number) =>
  db
    .selectFrom('work_items')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('agent_id', '=', agentId)
    .where('state', '=', 'leased')
    .where('lease_until', '>', now)
    .orderBy('leased_at')
    .limit(100)
    .execute();

/** True while the agent holds a lease that has not run out: such an agent is not free. */
export const holdsLease = async (db: Executor, agentId: string, now: number) =>
  (await db.selectFrom('work_items').select('id').where('agent_id', '=', agentId).where('state', '=', 'leased').where('lease_until', '>', now).limit(1).executeTakeFirst()) !== undefined;

/**
 * Claims the next item for one agent: the items offered to this agent (last-agent rule) first,
 * then higher priority, then the longest waiting. Run inside a transaction: the SELECT picks
 * a row (on PostgreSQL with FOR UPDATE SKIP LOCKED, so concurrent claimers skip each other's
 * row instead of queueing behind it) and the UPDATE takes it only if it is still waiting.
 * Two statements on purpose: PostgreSQL may plan `UPDATE … WHERE id IN (SELECT … LIMIT 1 FOR
 * UPDATE SKIP LOCKED)` as a nested loop that re-runs the subquery, updating several rows.
 * The row is read back by its fresh lease token.
 */
export async function claimNext(db: Executor, o: { queueIds: string[]; agentId: string; token: string; now: number; leaseMs: number; skipLocked: boolean }) {
  let next = db
    .selectFrom('work_items')
    .select('id')
    .where('queue_id', 'in', o.queueIds)
    .where('state', '=', 'waiting')
    .where((eb) => eb.or([eb('offered_to', 'is', null), eb('offered_to', '=', o.agentId), eb('offer_until', '<=', o.now)]))
    .where((eb) => eb.or([eb('declined_by', 'is', null), eb('declined_by', '<>', o.agentId), eb('declined_until', '<=', o.now)]))
    .orderBy(sql`case when ${sql.ref('offered_to')} = ${o.agentId} and ${sql.ref('offer_until')} > ${o.now} then 0 else 1 end`)
    .orderBy('priority', 'desc')
    .orderBy('enqueued_at')
    .orderBy('id')
    .limit(1);
  if (o.skipLocked) next = next.forUpdate().skipLocked();
  // A lost race (another writer took the row between the two statements) is retried; with one
  // SQLite writer or a row lock on PostgreSQL it does not happen.
  for (let attempt = 0; attempt < 3; attempt++) {
    const pick = await next.executeTakeFirst();
    if (!pick) return undefined;
    const taken = await db
      .updateTable('work_items')
      .set({ state: 'leased', agent_id: o.agentId, lease_token: o.token, leased_at: o.now, lease_until: o.now + o.leaseMs, offered_to: null, offer_until: null, updated_at: o.now })
      .where('id', '=', pick.id)
      .where('state', '=', 'waiting')
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 1) return db.selectFrom('work_items').selectAll().where('lease_token', '=', o.token).executeTakeFirst();
  }
  return undefined;
}

/** Changes an item only while this agent holds an unexpired lease on it. Returns whether it did. */
export async function updateHeld(db: Executor, o: { orgId: string; id: string; agentId: string; now: number }, patch: Partial<WorkItemRow>) {
  const r = await db
    .updateTable('work_items')
    .set({ ...patch, updated_at: o.now })
    .where('org_id', '=', o.orgId)
    .where('id', '=', o.id)
    .where('agent_id', '=', o.agentId)
    .where('state', '=', 'leased')
    .where('lease_until', '>', o.now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Puts items whose lease ran out back in their queue; returns those it put back. */
export async function requeueExpired(db: Executor, o: { now: number; limit: number; skipLocked: boolean }) {
  let due = db
    .selectFrom('work_items')
    .select(['id', 'org_id', 'queue_id', 'conversation_id', 'agent_id'])
    .where('state', '=', 'leased')
    .where('lease_until', '<=', o.now)
    .orderBy('lease_until')
    .limit(o.limit);
  if (o.skipLocked) due = due.forUpdate().skipLocked();
  const rows = await due.execute();
  if (rows.length === 0) return rows;
  await db
    .updateTable('work_items')
    .set((eb) => ({ ...RELEASED, state: 'waiting', lease_expiries: eb('lease_expiries', '+', 1), updated_at: o.now }))
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .where('state', '=', 'leased')
    .where('lease_until', '<=', o.now)
    .execute();
  return rows;
}

export const countByState = (db: Executor, queueId: string, now: number) =>
  db
    .selectFrom('work_items')
    .select((eb) => [
      'state',
      eb.fn.countAll<number>().as('n'),
      eb.fn.min('enqueued_at').as('oldest'),
      eb.fn.sum<number>(sql`case when ${sql.ref('offer_until')} > ${now} then 1 else 0 end`).as('offered'),
    ])
    .where('queue_id', '=', queueId)
    .where('state', 'in', ['waiting', 'leased'])
    .groupBy('state')
    .execute();

export const countCompletedSince = async (db: Executor, queueId: string, since: number) =>
  Number(
    (
      await db
        .selectFrom('work_items')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('queue_id', '=', queueId)
        .where('completed_at', '>=', since)
        .executeTakeFirstOrThrow()
    ).n,
  );

export const countEventsSince = async (db: Executor, queueId: string, type: string, since: number) =>
  Number(
    (
      await db
        .selectFrom('work_item_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('queue_id', '=', queueId)
        .where('type', '=', type)
        .where('at', '>=', since)
        .executeTakeFirstOrThrow()
    ).n,
  );
