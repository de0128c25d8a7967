import type { Clock } from '../clock.js';
import type { Sealer } from '../crypto/sealed.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Executor } from '../db/schema.js';
import type { EventsService } from '../events/events.service.js';
import { type EventRow, eventView } from '../events/events.views.js';
import { newId } from '../ids.js';
import type { Lookup } from './address-guard.js';
import { finish, retryAt } from './lanes.js';
import { retryDelay } from './schedule.js';
import { type SendResult, send } from './sender.js';
import { signatureHeader } from './signing.js';
import * as repo from './webhooks.repo.js';

export interface DeliverDeps {
  batcher: Pick<TxBatcher, 'run' | 'runSoon'>;
  clock: Clock;
  sealer: Sealer;
  events: Pick<EventsService, 'record'>;
  allowPrivate: boolean;
  /** Per try, all told; 15 s (the contract) unless a test shortens it. */
  timeoutMs: number;
  userAgent: string;
  lookup?: Lookup;
}

/** A lane's head: its event and the tries it has had. */
export interface Head {
  row: EventRow;
  lane: string;
  tries: number;
}

/** One try of a lane's head, and its outcome written with the attempt, in one transaction. */
export async function deliver(d: DeliverDeps, sub: repo.SubscriptionRow, head: Head): Promise<void> {
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
  // Rides with the next commit (a send's, another lane's): a commit of its own per event was most of the webhook's cost.
  await d.batcher.runSoon((trx) => settle(d, trx, sub, head, res, now));
}

async function settle(d: DeliverDeps, trx: Executor, sub: repo.SubscriptionRow, head: Head, res: SendResult, at: number): Promise<void> {
  const { row } = head;
  // Removed while the try was under way: nothing to keep.
  if (!(await repo.getSubscription(trx, sub.id))) return;
  const tries = head.tries + 1;
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
  if (outcome === 'delivered' || outcome === 'dead') await finish(trx, sub.id, head.lane, row.id, d.clock.now());
  else if (outcome === 'disabled') {
    // The head stays, with its tries: it goes first once the subscription is enabled again.
    await retryAt(trx, sub.id, row.id, tries, at);
    await repo.updateSubscription(trx, sub.id, { enabled: 0, disabled_reason: 'gone', updated_at: at });
    await d.events.record(trx, sub.org_id, 'webhook.disabled', { webhookId: sub.id, reason: 'gone', eventId: row.id, status: 410 });
  } else {
    await retryAt(trx, sub.id, row.id, tries, at + delay!);
    // A Retry-After speaks for the receiver, not for this one event: every lane waits.
    if (res.retryAfterSeconds !== null) await repo.updateSubscription(trx, sub.id, { retry_at: at + delay! });
  }
  if (outcome === 'dead') {
    const last = res.status !== null ? { status: res.status } : { error: res.error };
    await d.events.record(trx, sub.org_id, 'webhook.failed', { webhookId: sub.id, eventId: row.id, eventType: row.type, tries, ...last });
  }
}
