import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { RETRY_DELAYS_MS } from '../../src/webhooks/schedule.js';
import { newConversation } from '../helpers/acd.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';
import { startReceiver, verify } from '../helpers/webhook-receiver.js';

// Webhooks as a receiver sees them: a real HTTP server on 127.0.0.1 (allowed by
// THREADLINE_WEBHOOK_ALLOW_PRIVATE), every request checked with the standardwebhooks package,
// retries driven by a manual clock that the job runner judges due times by.

const clock = manualClock(Date.now());
const HOUR = 3_600_000;
let svc: TestService;

beforeAll(async () => {
  svc = await startService({ THREADLINE_WEBHOOK_ALLOW_PRIVATE: 'true' }, { clock, webhookTimeoutMs: 500 });
});

type Sub = { id: string; secret: string };
async function subscribe(url: string, body: Record<string, unknown> = {}): Promise<Sub> {
  const res = await svc.api('POST', '/api/v2/webhooks', { body: { url, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}
const attempts = async (id: string) => (await svc.api('GET', `/api/v2/webhooks/${id}/attempts?pageSize=100`)).body.entities.reverse() as Array<Record<string, any>>;
const attemptsWhen = (id: string, n: number) => waitFor(async () => ((await attempts(id)).length >= n ? attempts(id) : undefined), 10_000, `${n} attempts`);
const subscription = async (id: string) => (await svc.api('GET', `/api/v2/webhooks/${id}`)).body;
/** Moves the clock, keeping the admin token valid past a day. */
async function advance(ms: number) {
  clock.advance(ms);
  await svc.newToken();
}
const remove = async (id: string) => expect((await svc.api('DELETE', `/api/v2/webhooks/${id}`)).status).toBe(204);

describe('signed deliveries', () => {
  it('POSTs each event signed with the secret, which the standardwebhooks package verifies (and a wrong secret does not)', async () => {
    const rx = await startReceiver();
    const sub = await subscribe(rx.url, { eventTypes: ['message.queued'], description: 'orders' });
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect((await subscription(sub.id)).secret).toBeUndefined();
    const { messageId } = await newConversation(svc);
    const got = await waitFor(() => rx.requests[0]);
    const event = verify(sub.secret, got, clock) as { id: string; type: string; data: Record<string, unknown> };
    expect(event).toMatchObject({ type: 'message.queued', data: { messageId } });
    expect(got.headers['webhook-id']).toBe(event.id);
    expect(Number(got.headers['webhook-timestamp'])).toBe(Math.floor(clock.now() / 1000));
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toMatch(/threadline/);
    expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, got, clock)).toThrow();
    const [a] = await attemptsWhen(sub.id, 1);
    expect(a).toMatchObject({ eventId: event.id, try: 1, status: 204, outcome: 'delivered' });
    await remove(sub.id);
  });

  it('after a rotation signs with both secrets for a day, then with the new one only', async () => {
    const rx = await startReceiver();
    const sub = await subscribe(rx.url, { eventTypes: ['message.queued'] });
    const rotated = await svc.api('POST', `/api/v2/webhooks/${sub.id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(sub.secret);
    await newConversation(svc);
    const during = await waitFor(() => rx.requests[0]);
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    verify(sub.secret, during, clock);
    verify(rotated.body.secret, during, clock);

    await advance(25 * HOUR);
    await newConversation(svc);
    const after = await waitFor(() => rx.requests[1]);
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    verify(rotated.body.secret, after, clock);
    expect(() => verify(sub.secret, after, clock)).toThrow();
    await remove(sub.id);
  });
});

describe('retries', () => {
  it('retries a 500 on the schedule, marks the event dead after the last try, says so in an event, and replays it', async () => {
    const rx = await startReceiver();
    rx.answer(() => ({ status: 500, body: 'x'.repeat(5000) }));
    const sub = await subscribe(rx.url, { eventTypes: ['message.queued'] });
    const { messageId } = await newConversation(svc);
    for (const [i, delay] of RETRY_DELAYS_MS.entries()) {
      const tried = await attemptsWhen(sub.id, i + 1);
      const last = tried.at(-1)!;
      expect(last).toMatchObject({ try: i + 1, status: 500, outcome: 'retrying' });
      expect(last.responseExcerpt.length).toBeLessThanOrEqual(1024);
      // Jittered: up to a tenth shorter than the schedule's delay, never longer.
      const wait = Date.parse((await subscription(sub.id)).nextTryAt) - Date.parse(last.timestamp);
      expect(wait).toBeLessThanOrEqual(delay);
      expect(wait).toBeGreaterThanOrEqual(delay * 0.9);
      await advance(delay);
    }
    const all = await attemptsWhen(sub.id, RETRY_DELAYS_MS.length + 1);
    expect(all.at(-1)).toMatchObject({ try: 10, outcome: 'dead' });
    expect(Date.parse(all.at(-1)!.timestamp) - Date.parse(all[0]!.timestamp)).toBeGreaterThan(24 * HOUR);
    const eventId = all[0]!.eventId;
    const failed = await waitFor(async () => {
      const l = await svc.api('GET', '/api/v2/events?types=webhook.failed&limit=1000');
      return l.body.entities.find((e: any) => e.data.eventId === eventId);
    });
    expect(failed.data).toMatchObject({ webhookId: sub.id, eventType: 'message.queued', tries: 10, status: 500 });

    rx.answer(() => ({ status: 200 }));
    const replay = await svc.api('POST', `/api/v2/webhooks/${sub.id}/replay`, { body: { eventId } });
    expect(replay.status, JSON.stringify(replay.body)).toBe(202);
    const again = await waitFor(() => rx.requests.find((r) => r.status === 200));
    expect(again.headers['webhook-id']).toBe(eventId);
    expect(verify(sub.secret, again, clock)).toMatchObject({ data: { messageId } });
    await remove(sub.id);
  });

  it('honours Retry-After on 429 and 503, and retries a receiver that does not answer in time', async () => {
    const rx = await startReceiver();
    const answers = [{ status: 429, headers: { 'retry-after': '120' } }, { status: 503, headers: { 'retry-after': '7' } }, 'hang' as const, { status: 204 }];
    rx.answer(() => answers[rx.requests.length] ?? { status: 204 });
    const sub = await subscribe(rx.url, { eventTypes: ['message.queued'] });
    await newConversation(svc);
    let tried = await attemptsWhen(sub.id, 1);
    expect(Date.parse((await subscription(sub.id)).nextTryAt) - Date.parse(tried[0]!.timestamp)).toBe(120_000);
    await advance(120_000);
    tried = await attemptsWhen(sub.id, 2);
    expect(Date.parse((await subscription(sub.id)).nextTryAt) - Date.parse(tried[1]!.timestamp)).toBe(7_000);
    await advance(7_000);
    tried = await attemptsWhen(sub.id, 3);
    expect(tried[2]).toMatchObject({ try: 3, outcome: 'retrying', error: expect.stringMatching(/no answer within/) });
    expect(tried[2]!.status).toBeUndefined();
    await advance(RETRY_DELAYS_MS[2]!);
    tried = await attemptsWhen(sub.id, 4);
    expect(tried[3]).toMatchObject({ try: 4, status: 204, outcome: 'delivered' });
    await remove(sub.id);
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    const rx = await startReceiver();
    const target = await startReceiver();
    rx.answer(() => ({ status: 302, headers: { location: target.url } }));
    const sub = await subscribe(rx.url, { eventTypes: ['message.queued'] });
    await newConversation(svc);
    const [a] = await attemptsWhen(sub.id, 1);
    expect(a).toMatchObject({ status: 302, outcome: 'retrying', error: expect.stringMatching(/redirect/) });
    expect(target.requests).toHaveLength(0);
    await remove(sub.id);
  });

  it('disables the webhook on 410 Gone, records webhook.disabled, and delivers again once enabled', async () => {
    const rx = await startReceiver();
    rx.answer(() => ({ status: 410 }));
    const sub = await subscribe(rx.url, { eventTypes: ['message.queued'] });
    await newConversation(svc);
    const [a] = await attemptsWhen(sub.id, 1);
    expect(a).toMatchObject({ status: 410, outcome: 'disabled' });
    expect(await subscription(sub.id)).toMatchObject({ enabled: false, disabledReason: 'gone' });
    const disabled = await waitFor(async () => (await svc.api('GET', '/api/v2/events?types=webhook.disabled&limit=1000')).body.entities.find((e: any) => e.data.webhookId === sub.id));
    expect(disabled.data).toMatchObject({ reason: 'gone', eventId: a!.eventId });

    rx.answer(() => ({ status: 200 }));
    const enabled = await svc.api('PATCH', `/api/v2/webhooks/${sub.id}`, { body: { enabled: true } });
    expect(enabled.body).toMatchObject({ enabled: true });
    expect(enabled.body.disabledReason).toBeUndefined();
    const got = await waitFor(() => rx.requests.find((r) => r.status === 200));
    expect(got.headers['webhook-id']).toBe(a!.eventId);
    await remove(sub.id);
  });
});

describe('an outage', () => {
  it("a receiver down for 30 hours gets every event once it is back, once each, each conversation's in log order", async () => {
    const rx = await startReceiver();
    let up = false;
    rx.answer(() => (up ? { status: 200 } : { status: 502 }));
    const sub = await subscribe(rx.url);
    // Two conversations, interleaved: their events must each arrive in the order they happened.
    const a = await newConversation(svc);
    const b = await newConversation(svc);
    const start = clock.now();
    for (const [i, delay] of RETRY_DELAYS_MS.entries()) {
      // Each conversation's first event is tried on the schedule.
      await attemptsWhen(sub.id, 2 * (i + 1));
      if (clock.now() - start >= 30 * HOUR) break;
      // Back at the 30th hour, before the try that comes after it.
      if (clock.now() + delay - start >= 30 * HOUR) up = true;
      await advance(delay);
    }
    const of = (c: { conversationId: string }) => (e: { data: Record<string, unknown> }) => e.data.conversationId === c.conversationId;
    const mine = (e: { data: Record<string, unknown> }) => of(a)(e) || of(b)(e);
    const log: Array<{ id: string; data: Record<string, unknown> }> = (await svc.api('GET', '/api/v2/events?limit=1000')).body.entities.filter(mine);
    expect(log.filter(of(a)).length).toBeGreaterThanOrEqual(2);
    expect(log.filter(of(b)).length).toBeGreaterThanOrEqual(2);
    const ids = (list: Array<{ id: string }>) => list.map((e) => e.id);
    const got = await waitFor(() => {
      const d = rx.delivered().filter(mine);
      return d.length >= log.length ? d : undefined;
    });
    expect(got).toHaveLength(log.length);
    for (const c of [a, b]) expect(ids(got.filter(of(c)))).toEqual(ids(log.filter(of(c))));
    for (const r of rx.requests.filter((x) => x.status === 200)) verify(sub.secret, r, clock);
    const failures = rx.requests.filter((x) => x.status === 502);
    expect(failures.length).toBeGreaterThanOrEqual(14);
    // Head of line in each conversation: only its first event was tried while the receiver was down.
    expect(new Set(failures.map((r) => r.headers['webhook-id']))).toEqual(new Set([log.find(of(a))!.id, log.find(of(b))!.id]));

    // A time range sent again: the same events, with their own ids, each conversation's in the same order.
    const since = new Date(start).toISOString();
    const replay = await svc.api('POST', `/api/v2/webhooks/${sub.id}/replay`, { body: { since } });
    expect(replay.status, JSON.stringify(replay.body)).toBe(202);
    expect(replay.body.queued).toBeGreaterThanOrEqual(log.length);
    const twice = await waitFor(() => {
      const d = rx.delivered().filter(mine);
      return d.length >= 2 * log.length ? d : undefined;
    });
    const again = twice.slice(log.length);
    for (const c of [a, b]) expect(ids(again.filter(of(c)))).toEqual(ids(log.filter(of(c))));
    await remove(sub.id);
  });
});

describe('organizations and permissions', () => {
  it("an organization sees and receives its own webhooks' events only", async () => {
    const mine = await startReceiver();
    const theirs = await startReceiver();
    const sub = await subscribe(mine.url, { eventTypes: ['message.queued'] });
    const other = await svc.running.services.auth.createOrganization('Other');
    const client = await svc.running.services.auth.createClient(other.id, 'hooks', ['webhooks:subscription:edit']);
    const token = await svc.token(client.id, client.secret);
    const created = await svc.api('POST', '/api/v2/webhooks', { token, body: { url: theirs.url } });
    expect(created.status).toBe(201);

    expect((await svc.api('GET', '/api/v2/webhooks', { token })).body.entities.map((w: any) => w.id)).toEqual([created.body.id]);
    for (const [method, path, body] of [
      ['GET', `/api/v2/webhooks/${sub.id}`],
      ['PATCH', `/api/v2/webhooks/${sub.id}`, { enabled: false }],
      ['GET', `/api/v2/webhooks/${sub.id}/attempts`],
      ['POST', `/api/v2/webhooks/${sub.id}/secret`],
      ['POST', `/api/v2/webhooks/${sub.id}/replay`, { since: '2020-01-01T00:00:00Z' }],
      ['DELETE', `/api/v2/webhooks/${sub.id}`],
    ] as const)
      expect((await svc.api(method, path, { token, body })).status, `${method} ${path}`).toBe(404);

    const { messageId } = await newConversation(svc);
    await waitFor(() => mine.delivered().find((e) => e.data.messageId === messageId));
    // The other organization's webhook wants every type: it would have had it by now.
    await newConversation(svc);
    await waitFor(() => (mine.delivered().length >= 2 ? true : undefined));
    expect(theirs.requests).toEqual([]);
    await remove(sub.id);
  });

  it('needs webhooks:subscription:view to read and webhooks:subscription:edit to change', async () => {
    const { auth } = svc.running.services;
    const viewer = await auth.createClient(svc.init.orgId, 'viewer', ['webhooks:subscription:view']);
    const reader = await auth.createClient(svc.init.orgId, 'reader', ['events:event:view']);
    const view = await svc.token(viewer.id, viewer.secret);
    const events = await svc.token(reader.id, reader.secret);
    expect((await svc.api('GET', '/api/v2/webhooks', { token: view })).status).toBe(200);
    expect((await svc.api('POST', '/api/v2/webhooks', { token: view, body: { url: 'http://127.0.0.1:9/' } })).status).toBe(403);
    expect((await svc.api('GET', '/api/v2/webhooks', { token: events })).status).toBe(403);
  });
});
