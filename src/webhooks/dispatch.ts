import type { TxBatcher } from '../db/batcher.js';
import type { Dialect } from '../db/open.js';
import type { Db } from '../db/schema.js';
import { listEvents } from '../events/events.repo.js';
import type { EventRow } from '../events/events.views.js';
import type { JobQueue } from '../jobs/queue.js';
import type { JobKind } from '../jobs/runner.js';
import { type DeliverDeps, deliver, type Head } from './deliver.js';
import { type Handed, hand, laneOfRow } from './lanes.js';
import * as repo from './webhooks.repo.js';

export const DISPATCH_KIND = 'webhook.dispatch';
/** A dispatch job gives its slot back after this many tries or this long; the scan gives it a new job. */
const BATCH = 500;
const BUDGET_MS = 10_000;
/** Events (and replays) handed to the lanes per read of the log. */
const HAND_BATCH = 200;
/** While lanes are busy, new events are handed to them this often. */
const HAND_EVERY_MS = 20;

export interface DispatchDeps extends DeliverDeps {
  db: Db;
  batcher: Pick<TxBatcher, 'run' | 'runSoon'>;
  dialect: Dialect;
  jobs: Pick<JobQueue, 'enqueue' | 'wake'>;
  /** Dispatch jobs (subscriptions) one instance runs at once. */
  concurrency: number;
  /** Lanes of one subscription tried at once: requests one receiver has from this instance. */
  lanesPerSubscription: number;
  /** Requests under way at once from this instance, all subscriptions together. */
  lanesPerInstance: number;
}

/** Not the subscription's own webhook.* events: a dead receiver would otherwise feed itself a chain of them. */
function wants(sub: repo.SubscriptionRow, row: EventRow): boolean {
  if (sub.event_types !== null && !(JSON.parse(sub.event_types) as string[]).includes(row.type)) return false;
  return !(row.type.startsWith('webhook.') && (JSON.parse(row.data) as { webhookId?: string }).webhookId === sub.id);
}

/** Up to `size` holders at once; the others wait their turn in order. */
function slots(size: number) {
  let free = size;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/**
 * The webhook jobs. `webhook.scan` runs at every poll of the job runner and gives each enabled
 * subscription with something to do a `webhook.dispatch` job, keyed by the subscription: the
 * job runner's leases then make one instance at a time work for a subscription, which is what
 * keeps its lanes (lanes.ts) in order without locks of their own. A dispatch job hands the
 * events after the subscription's cursor (and replays asked for) to their lanes, and tries up
 * to `lanesPerSubscription` lane heads at once, each lane's events one after the other: a
 * failing or slow conversation holds back its own events only.
 */
export function webhookJobs(d: DispatchDeps): JobKind[] {
  const postgres = d.dialect === 'postgres';
  const instanceSlot = slots(d.lanesPerInstance);

  const waiting = async (sub: repo.SubscriptionRow) =>
    (await repo.replaysToHand(d.db, sub.id, 1)).length > 0 || (await repo.anyEventAfter(d.db, sub.org_id, { tx: Number(sub.cursor_tx), seq: Number(sub.cursor_seq) }, postgres));

  /** Hands replays and new events to the lanes, the cursor moved in the same transaction; true if more may be waiting. */
  const handOut = (id: string) =>
    d.batcher.runSoon(async (trx) => {
      const sub = await repo.getSubscription(trx, id);
      if (!sub) return false;
      const replays = await repo.replaysToHand(trx, id, HAND_BATCH);
      const after = { tx: Number(sub.cursor_tx), seq: Number(sub.cursor_seq) };
      const rows = await listEvents(trx, { orgId: sub.org_id, after, types: null, limit: HAND_BATCH, postgres });
      const toHand = (r: EventRow): Handed => ({ eventId: r.id, lane: laneOfRow(r), tx: Number(r.tx), seq: Number(r.seq) });
      await hand(trx, id, [...replays.map(toHand), ...rows.filter((r) => wants(sub, r)).map(toHand)], d.clock.now());
      await repo.removeReplays(
        trx,
        id,
        replays.map((r) => r.id),
      );
      const last = rows.at(-1);
      if (last) await repo.updateSubscription(trx, id, { cursor_tx: Number(last.tx), cursor_seq: Number(last.seq) });
      return replays.length === HAND_BATCH || rows.length === HAND_BATCH;
    });

  const dispatch: JobKind = {
    kind: DISPATCH_KIND,
    concurrency: d.concurrency,
    // Only a failure of threadline's own (the database) lands here; a receiver's is handled in deliver.ts.
    backoff: () => 5_000,
    async run(job) {
      const id = (job.payload as { subscriptionId: string }).subscriptionId;
      const started = performance.now();
      const inFlight = new Map<string, Promise<void>>();
      let tried = 0;
      let handed = 0;
      let failure: unknown = null;
      try {
        for (;;) {
          const sub = await repo.getSubscription(d.db, id);
          const now = d.clock.now();
          const paused = sub?.enabled !== 1 || (sub.retry_at !== null && Number(sub.retry_at) > now);
          if (!paused && failure === null && tried < BATCH && performance.now() - started < BUDGET_MS) {
            // Not at every turn of this loop (each try ends one), which would cost a transaction
            // per event: when the lanes have nothing due, else every HAND_EVERY_MS. Read first,
            // outside a transaction: often there is nothing new.
            const handNow = inFlight.size === 0 || performance.now() - handed >= HAND_EVERY_MS;
            let more = handNow && (await waiting(sub!));
            if (handNow) handed = performance.now();
            // Enough handed out to keep every lane slot busy, not the whole backlog at once.
            for (let n = 0; more && n < 5; n++) more = await handOut(id);
            const room = d.lanesPerSubscription - inFlight.size;
            // Read now, not `now`: the heads just handed out are due from the time they were.
            const heads = room > 0 ? await repo.dueHeads(d.db, id, d.clock.now(), room + inFlight.size) : [];
            for (const h of heads.filter((x) => !inFlight.has(x.lane)).slice(0, room)) {
              const head: Head = { row: h, lane: h.lane, tries: h.tries };
              tried++;
              const p = instanceSlot(() => deliver(d, sub!, head))
                .catch((err: unknown) => {
                  failure ??= err;
                })
                .finally(() => inFlight.delete(head.lane));
              inFlight.set(head.lane, p);
            }
          }
          if (inFlight.size === 0) break;
          await Promise.race(inFlight.values());
        }
      } finally {
        await Promise.allSettled(inFlight.values());
      }
      // The database failed under a try: the job runner's backoff, then the scan starts again.
      if (failure !== null) throw failure;
    },
  };

  const scan: JobKind = {
    kind: 'webhook.scan',
    everyMs: 0,
    async run() {
      const due = await d.batcher.run(async (trx) => {
        const subs = await repo.subscriptionsWithWork(trx, { now: d.clock.now(), postgres, jobKind: DISPATCH_KIND, limit: 1000 });
        for (const s of subs) await d.jobs.enqueue(trx, { kind: DISPATCH_KIND, key: s.id, orgId: s.org_id, payload: { subscriptionId: s.id } });
        return subs.length;
      });
      if (due > 0) d.jobs.wake();
    },
  };

  return [scan, dispatch];
}
