import type { Clock } from '../clock.js';
import type { Sealer } from '../crypto/sealed.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Dialect } from '../db/open.js';
import type { Db } from '../db/schema.js';
import { listEvents } from '../events/events.repo.js';
import type { EventsService } from '../events/events.service.js';
import { type EventRow, eventView } from '../events/events.views.js';
import { newId } from '../ids.js';
import type { JobQueue } from '../jobs/queue.js';
import type { JobKind } from '../jobs/runner.js';
import type { Lookup } from './address-guard.js';
import { retryDelay } from './schedule.js';
import { type SendResult, send } from './sender.js';
import { signatureHeader } from './signing.js';
import * as repo from './webhooks.repo.js';

export const DISPATCH_KIND = 'webhook.dispatch';
/** A dispatch job gives its slot back after this many deliveries or this long; the scan gives it a new job. */
const BATCH = 100;
const BUDGET_MS = 10_000;

export interface DispatchDeps {
  db: Db;
  batcher: Pick<TxBatcher, 'run'>;
  clock: Clock;
  dialect: Dialect;
  sealer: Sealer;
  events: Pick<EventsService, 'record'>;
  jobs: Pick<JobQueue, 'enqueue' | 'wake'>;
  allowPrivate: boolean;
  /** Per try, all told; 15 s (the contract) unless a test shortens it. */
  timeoutMs: number;
  /** Dispatch jobs one instance runs at once: receivers it waits on at the same time. */
  concurrency: number;
  userAgent: string;
  lookup?: Lookup;
}

interface Head {
  row: EventRow;
  replay: boolean;
}

/** Not the subscription's own webhook.* events: a dead receiver would otherwise feed itself a chain of them. */
function wants(sub: repo.SubscriptionRow, row: EventRow): boolean {
  if (sub.event_types !== null && !(JSON.parse(sub.event_types) as string[]).includes(row.type)) return false;
  return !(row.type.startsWith('webhook.') && (JSON.parse(row.data) as { webhookId?: string }).webhookId === sub.id);
}

/**
 * The webhook jobs. `webhook.scan` runs at every poll of the job runner and gives each enabled
 * subscription with something due (a replay, or an event after its cursor, once its wait is
 * over) a `webhook.dispatch` job, keyed by the subscription: the job runner's leases then make
 * one instance at a time deliver for a subscription, and a slow or dead receiver holds only
 * its own job. A dispatch job sends the subscription's events strictly in log order, one at a
 * time: an event is retried (on the schedule) before any later one goes, which keeps every
 * conversation's order at the cost of holding the subscription's later events behind it.
 */
export function webhookJobs(d: DispatchDeps): JobKind[] {
  const postgres = d.dialect === 'postgres';

  async function nextEvent(sub: repo.SubscriptionRow): Promise<Head | null> {
    const replay = await repo.nextReplay(d.db, sub.id);
    if (replay) return { row: replay, replay: true };
    let after = { tx: Number(sub.cursor_tx), seq: Number(sub.cursor_seq) };
    for (;;) {
      const rows = await listEvents(d.db, { orgId: sub.org_id, after, types: null, limit: 100, postgres });
      if (rows.length === 0) return null;
      const wanted = rows.find((r) => wants(sub, r));
      if (wanted) return { row: wanted, replay: false };
      // None of these is for this subscription: pass them for good.
      const last = rows.at(-1)!;
      after = { tx: Number(last.tx), seq: Number(last.seq) };
      await repo.updateSubscription(d.db, sub.id, { cursor_tx: after.tx, cursor_seq: after.seq });
    }
  }

  async function deliver(sub: repo.SubscriptionRow, head: Head): Promise<void> {
    const { row } = head;
    const now = d.clock.now();
    const body = JSON.stringify(eventView(row));
    const timestamp = Math.floor(now / 1000);
    const secrets = [d.sealer.open(sub.secret)];
    if (sub.previous_secret !== null && Number(sub.previous_until) > now) secrets.push(d.sealer.open(sub.previous_secret));
    const headers = {
      'content-type': 'application/json',
      'webhook-id': row.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, row.id, timestamp, body),
    };
    const res = await send(sub.url, headers, body, { allowPrivate: d.allowPrivate, timeoutMs: d.timeoutMs, userAgent: d.userAgent, lookup: d.lookup }, d.clock.now);
    const tries = (sub.head_event_id === row.id ? sub.head_tries : 0) + 1;
    await d.batcher.run((trx) => settle(trx, sub, head, res, tries, now));
  }

  async function settle(trx: Parameters<Parameters<TxBatcher['run']>[0]>[0], sub: repo.SubscriptionRow, head: Head, res: SendResult, tries: number, at: number) {
    const { row } = head;
    // Removed while the try was under way: nothing to keep.
    if (!(await repo.getSubscription(trx, sub.id))) return;
    const ok = res.status !== null && res.status >= 200 && res.status < 300;
    const gone = res.status === 410;
    const delay = ok || gone ? null : retryDelay(tries, res.retryAfterSeconds);
    const outcome = ok ? 'delivered' : gone ? 'disabled' : delay === null ? 'dead' : 'retrying';
    const error = res.error ?? (ok ? null : res.status !== null && res.status >= 300 && res.status < 400 ? `redirect (${res.status}), not followed` : null);
    await repo.insertAttempt(trx, {
      id: newId(at),
      subscription_id: sub.id,
      event_id: row.id,
      event_type: row.type,
      try: tries,
      at,
      status: res.status,
      error,
      duration_ms: res.durationMs,
      excerpt: res.excerpt,
      outcome,
    });
    if (outcome === 'delivered' || outcome === 'dead') {
      if (head.replay) await repo.removeReplay(trx, sub.id, row.id);
      const cursor = head.replay ? {} : { cursor_tx: Number(row.tx), cursor_seq: Number(row.seq) };
      await repo.updateSubscription(trx, sub.id, { ...cursor, head_event_id: null, head_tries: 0, retry_at: null });
    } else if (outcome === 'disabled') {
      await repo.updateSubscription(trx, sub.id, { enabled: 0, disabled_reason: 'gone', head_event_id: row.id, head_tries: tries, retry_at: null, updated_at: at });
      await d.events.record(trx, sub.org_id, 'webhook.disabled', { webhookId: sub.id, reason: 'gone', eventId: row.id, status: 410 });
    } else {
      await repo.updateSubscription(trx, sub.id, { head_event_id: row.id, head_tries: tries, retry_at: at + delay! });
    }
    if (outcome === 'dead') {
      const last = res.status !== null ? { status: res.status } : { error: res.error };
      await d.events.record(trx, sub.org_id, 'webhook.failed', { webhookId: sub.id, eventId: row.id, eventType: row.type, tries, ...last });
    }
  }

  const dispatch: JobKind = {
    kind: DISPATCH_KIND,
    concurrency: d.concurrency,
    // Only a failure of threadline's own (the database) lands here; a receiver's is handled above.
    backoff: () => 5_000,
    async run(job) {
      const id = (job.payload as { subscriptionId: string }).subscriptionId;
      const started = performance.now();
      for (let n = 0; n < BATCH && performance.now() - started < BUDGET_MS; n++) {
        const sub = await repo.getSubscription(d.db, id);
        if (sub?.enabled !== 1) return;
        if (sub.retry_at !== null && Number(sub.retry_at) > d.clock.now()) return;
        const head = await nextEvent(sub);
        if (head === null) return;
        await deliver(sub, head);
      }
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
