import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { ATTEMPTS_KEPT_MS } from '../../src/webhooks/webhooks.service.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

// The attempt log keeps each try for ATTEMPTS_KEPT_MS; the maintenance job forgets older ones, so
// a busy webhook's log does not grow for ever. Time is a manual clock.

const clock = manualClock(Date.now());
let svc: TestService;

beforeAll(async () => {
  svc = await startService({ THREADLINE_WEBHOOK_ALLOW_PRIVATE: 'true' }, { clock });
});

const happen = (conversationId: string) => {
  const { batcher, events } = svc.running.services;
  return batcher.run((trx) => events.record(trx, svc.init.orgId, 'message.queued', { conversationId, messageId: randomUUID() }));
};

type Attempt = { eventId: string; outcome: string };
const attemptsOf = async (id: string): Promise<Attempt[]> => {
  const res = await svc.api('GET', `/api/v2/webhooks/${id}/attempts?pageSize=100`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.entities;
};

describe('webhook attempt log', () => {
  it('forgets tries older than the retention and keeps the recent ones', async () => {
    const rx = await startReceiver();
    const created = await svc.api('POST', '/api/v2/webhooks', { body: { url: rx.url, eventTypes: ['message.queued'] } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    await happen(randomUUID());
    const [first] = await waitFor(async () => ((await attemptsOf(id)).length === 1 ? attemptsOf(id) : undefined));
    expect(first!.outcome).toBe('delivered');

    // A day short of the retention: the old try is still listed after another maintenance run.
    clock.advance(ATTEMPTS_KEPT_MS - 86_400_000);
    await svc.newToken();
    await happen(randomUUID());
    await waitFor(async () => ((await attemptsOf(id)).length === 2 ? true : undefined));
    await svc.running.services.batcher.run((trx) => svc.running.services.webhooks.prune(trx));
    expect((await attemptsOf(id)).map((a) => a.eventId)).toContain(first!.eventId);

    // Past it: the maintenance job (due every minute of the service's clock) removes the first only.
    clock.advance(2 * 86_400_000);
    await svc.newToken();
    const kept = await waitFor(async () => {
      const list = await attemptsOf(id);
      return list.length === 1 ? list : undefined;
    });
    expect(kept[0]!.eventId).not.toBe(first!.eventId);
    expect(kept[0]!.outcome).toBe('delivered');
  });
});
