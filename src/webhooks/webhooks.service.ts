import type { Clock } from '../clock.js';
import type { Sealer } from '../crypto/sealed.js';
import type { Dialect } from '../db/open.js';
import type { Db, Executor } from '../db/schema.js';
import { badRequest, notFound } from '../errors.js';
import type { EventType } from '../events/events.views.js';
import { newId } from '../ids.js';
import type { JobQueue } from '../jobs/queue.js';
import { checkedAddresses, type Lookup, systemLookup, TargetRefused } from './address-guard.js';
import { headsDueNow, nextRetries } from './lanes.js';
import { newSecret } from './signing.js';
import * as repo from './webhooks.repo.js';

/** How long a rotated-out secret keeps signing beside the new one. */
export const ROTATION_GRACE_MS = 24 * 3_600_000;
/** Events one time-range replay queues at most. */
export const REPLAY_LIMIT = 10_000;
/**
 * How long the attempt log keeps a try: well past the last retry (about three days) and the
 * 30 days in which a reply still threads, so a support question about a delivery can be answered.
 */
export const ATTEMPTS_KEPT_MS = 30 * 86_400_000;
/** Attempts one maintenance run removes at most: a backlog goes over several runs, none holds the database long. */
const PRUNE_BATCH = 5_000;

export interface WebhookDeps {
  db: Db;
  clock: Clock;
  dialect: Dialect;
  sealer: Sealer;
  jobs: Pick<JobQueue, 'wake'>;
  allowPrivate: boolean;
  lookup?: Lookup;
}

const iso = (ms: number | null) => (ms === null ? undefined : new Date(Number(ms)).toISOString());

/** `nextRetry`: the soonest retry of a lane's head that failed (lanes.ts), if any. */
export const subscriptionView = (r: repo.SubscriptionRow, now: number, nextRetry?: number) => ({
  id: r.id,
  url: r.url,
  eventTypes: r.event_types === null ? null : (JSON.parse(r.event_types) as EventType[]),
  description: r.description ?? undefined,
  enabled: r.enabled === 1,
  ...(r.disabled_reason ? { disabledReason: r.disabled_reason } : {}),
  ...nextTry(r, now, nextRetry),
  ...(r.previous_until !== null && Number(r.previous_until) > now ? { previousSecretExpires: iso(r.previous_until) } : {}),
  dateCreated: iso(r.created_at)!,
  dateModified: iso(r.updated_at)!,
  selfUri: `/api/v2/webhooks/${r.id}`,
});

/** When something is tried again: the soonest failed head, not before a Retry-After that pauses the whole webhook. */
function nextTry(r: repo.SubscriptionRow, now: number, nextRetry: number | undefined) {
  const pause = r.retry_at !== null && Number(r.retry_at) > now ? Number(r.retry_at) : undefined;
  if (nextRetry === undefined && pause === undefined) return {};
  return { nextTryAt: iso(Math.max(nextRetry ?? 0, pause ?? 0)) };
}

export const attemptView = (r: repo.AttemptRow) => ({
  eventId: r.event_id,
  eventType: r.event_type,
  try: r.try,
  timestamp: iso(r.at)!,
  ...(r.status !== null ? { status: r.status } : {}),
  ...(r.error !== null ? { error: r.error } : {}),
  durationMs: r.duration_ms,
  ...(r.excerpt ? { responseExcerpt: r.excerpt } : {}),
  outcome: r.outcome as 'delivered' | 'retrying' | 'dead' | 'disabled',
});

export type WebhooksService = ReturnType<typeof createWebhooksService>;

export function createWebhooksService(d: WebhookDeps) {
  const { db, clock } = d;

  /** http or https, and (unless allowed) a host that resolves to public addresses only. */
  async function checkUrl(url: string): Promise<void> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw badRequest('url', 'url: is not an absolute URL.');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badRequest('url', `url: must be http or https, not ${u.protocol.slice(0, -1)}.`);
    try {
      await checkedAddresses(u.hostname, d.allowPrivate, d.lookup ?? systemLookup);
    } catch (err) {
      if (err instanceof TargetRefused) throw badRequest('url', `url: ${err.message}; webhooks reach public addresses only.`);
      throw err;
    }
  }

  async function owned(orgId: string, id: string): Promise<repo.SubscriptionRow> {
    const row = await repo.getSubscription(db, id);
    if (!row || row.org_id !== orgId) throw notFound(`Webhook ${id}`);
    return row;
  }

  /** Views with each webhook's next retry, which its lanes hold. */
  async function views(rows: repo.SubscriptionRow[], now: number) {
    const retries = await nextRetries(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => subscriptionView(r, now, retries.get(r.id)));
  }
  const view = async (row: repo.SubscriptionRow, now: number) => (await views([row], now))[0]!;

  return {
    async create(orgId: string, b: { url: string; eventTypes?: EventType[]; description?: string }) {
      await checkUrl(b.url);
      const now = clock.now();
      const secret = newSecret();
      const row = await db.transaction().execute(async (trx) => {
        const cursor = await repo.logEnd(trx, orgId, d.dialect === 'postgres');
        const r: repo.SubscriptionRow = {
          id: newId(now),
          org_id: orgId,
          url: b.url,
          event_types: b.eventTypes ? JSON.stringify(b.eventTypes) : null,
          description: b.description ?? null,
          enabled: 1,
          disabled_reason: null,
          secret: d.sealer.seal(secret),
          previous_secret: null,
          previous_until: null,
          cursor_tx: cursor.tx,
          cursor_seq: cursor.seq,
          retry_at: null,
          created_at: now,
          updated_at: now,
        };
        await repo.insertSubscription(trx, r);
        return r;
      });
      return { ...subscriptionView(row, now), secret };
    },

    list: async (orgId: string) => {
      const now = clock.now();
      return views(await repo.listSubscriptions(db, orgId), now);
    },

    get: async (orgId: string, id: string) => view(await owned(orgId, id), clock.now()),

    /** Enabling again clears threadline's reason and any wait: the head of every lane is tried now. */
    async update(orgId: string, id: string, b: { url?: string; eventTypes?: EventType[] | null; description?: string | null; enabled?: boolean }) {
      await owned(orgId, id);
      if (b.url !== undefined) await checkUrl(b.url);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await repo.updateSubscription(trx, id, {
          ...(b.url !== undefined ? { url: b.url } : {}),
          ...(b.eventTypes !== undefined ? { event_types: b.eventTypes === null ? null : JSON.stringify(b.eventTypes) } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.enabled !== undefined ? { enabled: b.enabled ? 1 : 0, disabled_reason: null, ...(b.enabled ? { retry_at: null } : {}) } : {}),
          updated_at: now,
        });
        if (b.enabled) await headsDueNow(trx, id, now);
      });
      d.jobs.wake();
      return view(await owned(orgId, id), now);
    },

    async remove(orgId: string, id: string) {
      await owned(orgId, id);
      await db.transaction().execute((trx) => repo.deleteSubscription(trx, id));
    },

    /** A new secret; the current one keeps signing beside it for ROTATION_GRACE_MS. */
    async rotate(orgId: string, id: string) {
      const row = await owned(orgId, id);
      const now = clock.now();
      const secret = newSecret();
      await repo.updateSubscription(db, id, { secret: d.sealer.seal(secret), previous_secret: row.secret, previous_until: now + ROTATION_GRACE_MS, updated_at: now });
      return { ...(await view(await owned(orgId, id), now)), secret };
    },

    async attempts(orgId: string, id: string, paging: { pageSize: number; pageNumber: number }) {
      await owned(orgId, id);
      const { rows, total } = await repo.listAttempts(db, id, paging);
      return { entities: rows.map(attemptView), total };
    },

    /** Queues events to send again, with their own ids, in their lanes (before the subscription's next new event). */
    async replay(orgId: string, id: string, b: { eventId?: string; since?: string; until?: string }) {
      const sub = await owned(orgId, id);
      const now = clock.now();
      let range: { eventId: string } | { since: number; until: number; limit: number };
      if (b.eventId !== undefined) range = { eventId: b.eventId };
      else {
        if (b.since === undefined) throw badRequest('eventId', 'eventId: give eventId, or since (and optionally until).');
        range = { since: Date.parse(b.since), until: b.until === undefined ? now + 1 : Date.parse(b.until), limit: REPLAY_LIMIT };
        if (range.until <= range.since) throw badRequest('until', 'until: must be after since.');
      }
      const types = sub.event_types === null || b.eventId !== undefined ? null : new Set(JSON.parse(sub.event_types) as string[]);
      const events = (await repo.eventsToReplay(db, orgId, range)).filter((e) => types === null || types.has(e.type));
      if (b.eventId !== undefined && events.length === 0) throw notFound(`Event ${b.eventId}`);
      await repo.addReplays(
        db,
        events.map((e) => ({ subscription_id: id, event_id: e.id, requested_at: now, event_tx: Number(e.tx), event_seq: Number(e.seq) })),
      );
      d.jobs.wake();
      return { queued: events.length };
    },

    /** For the maintenance job: forgets attempts older than ATTEMPTS_KEPT_MS. */
    prune: (ex: Executor) => repo.pruneAttempts(ex, clock.now() - ATTEMPTS_KEPT_MS, PRUNE_BATCH),
  };
}
