import { sql } from 'kysely';
import { compiled, compiledInsert, LIMIT_ONE } from '../db/compiled.js';
import type { Executor, WebhookAttemptsTable, WebhookSubscriptionsTable } from '../db/schema.js';
import type { Cursor } from '../events/events.views.js';

export type SubscriptionRow = WebhookSubscriptionsTable;
export type AttemptRow = WebhookAttemptsTable;

const xmin = sql<number>`pg_snapshot_xmin(pg_current_snapshot())::text::bigint`;

export const insertSubscription = (ex: Executor, row: SubscriptionRow) => ex.insertInto('webhook_subscriptions').values(row).execute();

// Compiled once: the statements below run for every event a webhook delivers.
const getOnce = compiled((ex: Executor, v: { id: string }) => ex.selectFrom('webhook_subscriptions').selectAll().where('id', '=', v.id));
export const getSubscription = async (ex: Executor, id: string) => (await getOnce(ex, { id })).rows[0];

export const listSubscriptions = (ex: Executor, orgId: string) =>
  ex.selectFrom('webhook_subscriptions').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute();

export const updateSubscription = (ex: Executor, id: string, set: Partial<SubscriptionRow>) => ex.updateTable('webhook_subscriptions').set(set).where('id', '=', id).execute();

export async function deleteSubscription(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('webhook_replays').where('subscription_id', '=', id).execute();
  await ex.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).execute();
  await ex.deleteFrom('webhook_attempts').where('subscription_id', '=', id).execute();
  await ex.deleteFrom('webhook_subscriptions').where('id', '=', id).execute();
}

/**
 * Where a new subscription starts: after the organization's last event a reader may pass
 * (on PostgreSQL, of the transactions that have ended: see events.repo.ts). An event of a
 * transaction still open may then be delivered though older than the subscription; none is lost.
 */
export async function logEnd(ex: Executor, orgId: string, postgres: boolean): Promise<Cursor> {
  const row = await ex
    .selectFrom('event_log')
    .select(['tx', 'seq'])
    .where('org_id', '=', orgId)
    .$if(postgres, (q) => q.where('tx', '<', xmin))
    .orderBy('tx', 'desc')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { tx: Number(row.tx), seq: Number(row.seq) } : { tx: 0, seq: 0 };
}

const eventColumns = ['e.tx', 'e.seq', 'e.id', 'e.type', 'e.at', 'e.data'] as const;

/** Replays asked for, oldest request first, with their events: to be handed to the lanes. */
const replaysOnce = compiled((ex: Executor, v: { subscriptionId: string; limit: number }) =>
  ex
    .selectFrom('webhook_replays as r')
    .innerJoin('event_log as e', 'e.id', 'r.event_id')
    .select(eventColumns)
    .where('r.subscription_id', '=', v.subscriptionId)
    .orderBy('r.requested_at')
    .orderBy('r.event_tx')
    .orderBy('r.event_seq')
    .limit(v.limit),
);
export const replaysToHand = async (ex: Executor, subscriptionId: string, limit: number) => (await replaysOnce(ex, { subscriptionId, limit })).rows;

export const removeReplays = (ex: Executor, subscriptionId: string, eventIds: readonly string[]) =>
  eventIds.length === 0 ? Promise.resolve() : ex.deleteFrom('webhook_replays').where('subscription_id', '=', subscriptionId).where('event_id', 'in', eventIds).execute();

/** A due lane head with its event (src/webhooks/lanes.ts). */
const dueOnce = compiled((ex: Executor, v: { subscriptionId: string; now: number; limit: number }) =>
  ex
    .selectFrom('webhook_deliveries as d')
    .innerJoin('event_log as e', 'e.id', 'd.event_id')
    .select(['d.lane', 'd.tries', ...eventColumns])
    .where('d.subscription_id', '=', v.subscriptionId)
    .where('d.next_at', '<=', v.now)
    .orderBy('d.next_at')
    .limit(v.limit),
);
export const dueHeads = async (ex: Executor, subscriptionId: string, now: number, limit: number) => (await dueOnce(ex, { subscriptionId, now, limit })).rows;

/** Whether the organization's log has an event after the cursor (see listEvents in events.repo.ts for the two dialects). */
const afterOnce = {
  postgres: compiled((ex: Executor, v: { orgId: string; tx: number; seq: number }) =>
    ex
      .selectFrom('event_log')
      .select('seq')
      .where('org_id', '=', v.orgId)
      .where((eb) => eb(eb.refTuple('tx', 'seq'), '>', eb.tuple(v.tx, v.seq)))
      .where('tx', '<', xmin)
      .limit(LIMIT_ONE),
  ),
  sqlite: compiled((ex: Executor, v: { orgId: string; seq: number }) =>
    ex.selectFrom('event_log').select('seq').where('org_id', '=', v.orgId).where('tx', '=', sql.lit(0)).where('seq', '>', v.seq).limit(LIMIT_ONE),
  ),
};
export const anyEventAfter = async (ex: Executor, orgId: string, after: Cursor, postgres: boolean) =>
  (await (postgres ? afterOnce.postgres(ex, { orgId, ...after }) : afterOnce.sqlite(ex, { orgId, seq: after.seq }))).rows.length > 0;

/** The organization's events to replay: one by id, or those of a time range (bounded). */
export const eventsToReplay = (ex: Executor, orgId: string, o: { eventId: string } | { since: number; until: number; limit: number }) =>
  ex
    .selectFrom('event_log as e')
    .select(['e.id', 'e.type', 'e.tx', 'e.seq', 'e.data'])
    .where('e.org_id', '=', orgId)
    .$if('eventId' in o, (q) => q.where('e.id', '=', (o as { eventId: string }).eventId))
    .$if(!('eventId' in o), (q) => {
      const r = o as { since: number; until: number; limit: number };
      return q.where('e.at', '>=', r.since).where('e.at', '<', r.until).orderBy('e.tx').orderBy('e.seq').limit(r.limit);
    })
    .execute();

export const addReplays = (ex: Executor, rows: Array<{ subscription_id: string; event_id: string; requested_at: number; event_tx: number; event_seq: number }>) =>
  rows.length === 0
    ? Promise.resolve()
    : ex
        .insertInto('webhook_replays')
        .values(rows)
        .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing())
        .execute();

export const insertAttempt = compiledInsert('webhook_attempts', {
  id: true,
  subscription_id: true,
  event_id: true,
  event_type: true,
  try: true,
  at: true,
  status: true,
  error: true,
  duration_ms: true,
  excerpt: true,
  outcome: true,
});

/**
 * The smallest UUIDv7 (src/ids.ts) made at or after `at`: ids are time-ordered, so "made before
 * `at`" is a range of the primary key, with no index on `at` to keep up on every attempt.
 */
const firstIdAt = (at: number) => {
  const h = Math.max(0, Math.floor(at)).toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-0000-0000-000000000000`;
};

/** Removes at most `limit` attempts made before `before`; answers how many it removed. */
export async function pruneAttempts(ex: Executor, before: number, limit: number): Promise<number> {
  const old = ex.selectFrom('webhook_attempts').select('id').where('id', '<', firstIdAt(before)).limit(limit);
  const r = await ex.deleteFrom('webhook_attempts').where('id', 'in', old).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function listAttempts(ex: Executor, subscriptionId: string, o: { pageSize: number; pageNumber: number }) {
  const rows = await ex
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .orderBy('id', 'desc')
    .limit(o.pageSize)
    .offset((o.pageNumber - 1) * o.pageSize)
    .execute();
  const total = await ex
    .selectFrom('webhook_attempts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('subscription_id', '=', subscriptionId)
    .executeTakeFirstOrThrow();
  return { rows, total: Number(total.n) };
}

/**
 * Enabled subscriptions with something to do now (a replay or an event after their cursor to
 * hand to a lane, or a lane head due) and no dispatch job yet: what the scan gives a job.
 */
export const subscriptionsWithWork = (ex: Executor, o: { now: number; postgres: boolean; jobKind: string; limit: number }) =>
  ex
    .selectFrom('webhook_subscriptions as s')
    .select(['s.id', 's.org_id'])
    .where('s.enabled', '=', 1)
    .where((eb) => eb.or([eb('s.retry_at', 'is', null), eb('s.retry_at', '<=', o.now)]))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('jobs as j').select('j.id').where('j.kind', '=', o.jobKind).whereRef('j.key', '=', 's.id'))))
    .where(({ or, exists, selectFrom }) =>
      or([
        exists(selectFrom('webhook_replays as r').select('r.event_id').whereRef('r.subscription_id', '=', 's.id')),
        exists(selectFrom('webhook_deliveries as d').select('d.event_id').whereRef('d.subscription_id', '=', 's.id').where('d.next_at', '<=', o.now)),
        exists(
          selectFrom('event_log as e')
            .select('e.seq')
            .whereRef('e.org_id', '=', 's.org_id')
            .$if(o.postgres, (q) => q.where(sql<boolean>`(e.tx, e.seq) > (s.cursor_tx, s.cursor_seq)`).where('e.tx', '<', xmin))
            .$if(!o.postgres, (q) => q.whereRef('e.seq', '>', 's.cursor_seq')),
        ),
      ]),
    )
    .limit(o.limit)
    .execute();
