import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { EventData, EventType } from '../../src/events/events.views.js';
import { createLogger } from '../../src/log.js';
import { start } from '../../src/main.js';
import { RETRY_DELAYS_MS } from '../../src/webhooks/schedule.js';
import { atEnd } from '../helpers/cleanup.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

// Lanes: a webhook's events go out in order per conversation (or per what they concern), and a
// failing or slow conversation holds back only its own. Retries are driven by a manual clock.

const clock = manualClock(Date.now());
const LANES = 3;
let svc: TestService;

beforeAll(async () => {
  svc = await startService({ THREADLINE_WEBHOOK_ALLOW_PRIVATE: 'true' }, { clock, webhookTimeoutMs: 500, webhookLanesPerSubscription: LANES });
});

async function subscribe(url: string, eventTypes: EventType[]): Promise<{ id: string }> {
  const res = await svc.api('POST', '/api/v2/webhooks', { body: { url, eventTypes } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A state change's event, written as every change writes its own: in a transaction of the shared batcher. */
function happen(type: EventType, data: EventData) {
  const { batcher, events } = svc.running.services;
  return batcher.run((trx) => events.record(trx, svc.init.orgId, type, data));
}

type Ev = { id: string; type: string; data: Record<string, unknown> };
/**
 * The log's events of a conversation, once all `count` of them are listed: on PostgreSQL the log
 * shows an event only when every transaction older than its own has ended (events.repo.ts), and
 * other tests' transactions on the shared cluster can hold it back for a moment.
 */
const logOf = (conversationId: string, count: number): Promise<string[]> =>
  waitFor(async () => {
    const ids = (await svc.api('GET', '/api/v2/events?limit=1000')).body.entities.filter((e: Ev) => e.data.conversationId === conversationId).map((e: Ev) => e.id);
    return ids.length >= count ? ids : undefined;
  });

describe('lanes', () => {
  it('a conversation whose receiver fails holds back its own events only; they follow in order once it recovers', async () => {
    const rx = await startReceiver();
    const a = randomUUID();
    const b = randomUUID();
    const of = (c: string) => (e: Ev) => e.data.conversationId === c;
    rx.answer((r) => (of(a)(JSON.parse(r.body)) ? { status: 500 } : { status: 204 }));
    const sub = await subscribe(rx.url, ['message.queued', 'message.sent', 'workitem.created']);
    // Interleaved, as two conversations' changes come.
    for (const type of ['message.queued', 'message.sent', 'workitem.created'] as const) for (const c of [a, b]) await happen(type, { conversationId: c, messageId: randomUUID() });
    const logA = await logOf(a, 3);
    const logB = await logOf(b, 3);
    expect(logA).toHaveLength(3);

    // No time passes: B's events go while A's first waits for its retry.
    const gotB = await waitFor(() => {
      const d = rx.delivered().filter(of(b));
      return d.length >= 3 ? d : undefined;
    });
    expect(gotB.map((e) => e.id)).toEqual(logB);
    const triedA = rx.requests.filter((r) => of(a)(JSON.parse(r.body)));
    expect(triedA.map((r) => r.headers['webhook-id'])).toEqual([logA[0]]);

    rx.answer(() => ({ status: 204 }));
    clock.advance(RETRY_DELAYS_MS[0]!);
    const gotA = await waitFor(() => {
      const d = rx.delivered().filter(of(a));
      return d.length >= 3 ? d : undefined;
    });
    expect(gotA.map((e) => e.id)).toEqual(logA);
    // Each once: nothing sent twice.
    expect(rx.delivered().filter((e) => of(a)(e) || of(b)(e))).toHaveLength(6);
    expect((await svc.api('DELETE', `/api/v2/webhooks/${sub.id}`)).status).toBe(204);
  });

  it('tries a bounded number of lanes at once: receivers that hang hold their lanes, the others still get their turn', async () => {
    const rx = await startReceiver();
    rx.answer(() => 'hang');
    const sub = await subscribe(rx.url, ['message.queued']);
    const conversations = Array.from({ length: 3 * LANES + 1 }, () => randomUUID());
    for (const c of conversations) await happen('message.queued', { conversationId: c, messageId: randomUUID() });
    // Every conversation's event is tried (each given up after the test's 500 ms), never more than LANES at once.
    await waitFor(() => (rx.requests.length >= conversations.length ? true : undefined), 20_000, 'every conversation tried');
    const tried = new Set(rx.requests.map((r) => (JSON.parse(r.body) as Ev).data.conversationId));
    expect(tried).toEqual(new Set(conversations));
    expect(rx.mostOpen()).toBe(LANES);
    expect((await svc.api('DELETE', `/api/v2/webhooks/${sub.id}`)).status).toBe(204);
  });

  it('events without a conversation keep their order per what they concern: a domain, a suppressed address', async () => {
    const rx = await startReceiver();
    const domain = `${randomUUID().slice(0, 8)}.example.com`;
    const email = `${randomUUID().slice(0, 8)}@example.com`;
    // The domain's first change fails: its second waits, the address's changes go.
    let failFirst = true;
    rx.answer((r) => {
      const e = JSON.parse(r.body) as Ev;
      if (e.data.domain === domain && e.data.to === 'VERIFIED' && failFirst) return { status: 500 };
      return { status: 204 };
    });
    const sub = await subscribe(rx.url, ['domain.verification.changed', 'suppression.added', 'suppression.removed']);
    await happen('domain.verification.changed', { domain, from: 'PENDING', to: 'VERIFIED' });
    await happen('suppression.added', { email, reason: 'bounce', messageId: randomUUID() });
    await happen('domain.verification.changed', { domain, from: 'VERIFIED', to: 'FAILED' });
    await happen('suppression.removed', { email });
    const mineOf = (e: Ev) => e.data.domain === domain || e.data.email === email;
    await waitFor(() => (rx.delivered().filter((e) => e.data.email === email).length >= 2 ? true : undefined));
    expect(
      rx
        .delivered()
        .filter((e) => e.data.email === email)
        .map((e) => e.type),
    ).toEqual(['suppression.added', 'suppression.removed']);
    expect(rx.delivered().filter((e) => e.data.domain === domain)).toEqual([]);

    failFirst = false;
    clock.advance(RETRY_DELAYS_MS[0]!);
    const got = await waitFor(() => {
      const d = rx.delivered().filter((e) => e.data.domain === domain);
      return d.length >= 2 ? d : undefined;
    });
    expect(got.map((e) => e.data.to)).toEqual(['VERIFIED', 'FAILED']);
    expect(rx.delivered().filter(mineOf)).toHaveLength(4);
    expect((await svc.api('DELETE', `/api/v2/webhooks/${sub.id}`)).status).toBe(204);
  });

  // Last: it stops the shared service.
  it('survives a restart: an event waiting for its retry, and the one behind it in its lane, go once after, in order', async () => {
    const rx = await startReceiver();
    const a = randomUUID();
    const b = randomUUID();
    const of = (c: string) => (e: Ev) => e.data.conversationId === c;
    rx.answer((r) => (of(a)(JSON.parse(r.body)) ? { status: 503 } : { status: 204 }));
    await subscribe(rx.url, ['message.queued', 'message.sent']);
    await happen('message.queued', { conversationId: a, messageId: randomUUID() });
    await happen('message.queued', { conversationId: b, messageId: randomUUID() });
    await happen('message.sent', { conversationId: a, messageId: randomUUID() });
    const logA = await logOf(a, 2);
    await waitFor(() => (rx.delivered().some(of(b)) && rx.requests.length >= 2 ? true : undefined));

    const config = svc.running.config;
    await svc.stop();
    rx.answer(() => ({ status: 204 }));
    const second = await start(config, createLogger('silent'), { clock, pollMs: 50, webhookTimeoutMs: 500, webhookLanesPerSubscription: LANES });
    atEnd(() => second.stop());
    clock.advance(RETRY_DELAYS_MS[0]!);
    const gotA = await waitFor(() => {
      const d = rx.delivered().filter(of(a));
      return d.length >= 2 ? d : undefined;
    });
    expect(gotA.map((e) => e.id)).toEqual(logA);
    expect(rx.requests.filter((r) => of(a)(JSON.parse(r.body))).map((r) => r.headers['webhook-id'])).toEqual([logA[0], logA[0], logA[1]]);
    expect(rx.delivered().filter(of(b))).toHaveLength(1);
  });
});
