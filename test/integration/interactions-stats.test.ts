import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { createAgent, createQueue, enqueue, newConversation, pull } from '../helpers/acd.js';
import { startService, type TestService } from '../helpers/service.js';

// What the console's interactions read, on each database: events counted per hour in SQL,
// queue waits per hour, and a search paged by key.

const HOUR = 3_600_000;
const clock = manualClock(Date.UTC(2026, 11, 1, 12, 30));
let svc: TestService;

beforeAll(async () => {
  svc = await startService({}, { clock });
});

describe('interactions: counts over time and paging by key', () => {
  it('counts each event in the hour it happened, the current hour last, and nothing outside the range', async () => {
    const { events } = svc.running.services;
    const orgId = svc.init.orgId;
    await newConversation(svc); // 12:30: before the range asked for below
    clock.advance(HOUR);
    await newConversation(svc); // 13:30
    await newConversation(svc);
    clock.advance(HOUR);
    await newConversation(svc); // 14:30
    const b = events.recentBuckets(HOUR, 2);
    expect(b.since).toBe(Date.UTC(2026, 11, 1, 13));
    expect(await events.countsOverTime(orgId, ['message.queued', 'message.bounced'], b)).toEqual({ 'message.queued': [2, 1], 'message.bounced': [0, 0] });
  });

  it('measures how long items waited before an agent took them', async () => {
    const agent = await createAgent(svc);
    const queueId = await createQueue(svc, [agent]);
    const first = await newConversation(svc);
    const second = await newConversation(svc);
    await enqueue(svc, { queueId, ...first });
    clock.advance(30_000);
    await enqueue(svc, { queueId, ...second });
    clock.advance(60_000);
    expect((await pull(svc, agent, queueId)).status).toBe(200); // waited 90 s
    expect((await pull(svc, agent, queueId)).status).toBe(200); // waited 60 s
    const waits = await svc.running.services.acd.waitsOverTime(svc.init.orgId, svc.running.services.events.recentBuckets(HOUR, 2));
    expect(waits).toEqual([
      { taken: 0, averageSeconds: 0, longestSeconds: 0 },
      { taken: 2, averageSeconds: 75, longestSeconds: 90 },
    ]);
  });

  it('pages a search by key: each message once, newest first, even several in one millisecond', async () => {
    const { conversations } = svc.running.services;
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await newConversation(svc, undefined, { toAddresses: [{ email: 'paged@example.com' }] }));
    const seen: string[] = [];
    let before: Parameters<typeof conversations.findMessages>[2];
    for (let pages = 0; pages < 10; pages++) {
      const page = await conversations.findMessages(svc.init.orgId, { address: 'paged@example.com' }, before, 2);
      seen.push(...page.entities.map((m) => m.id));
      if (!page.next) break;
      before = page.next;
    }
    expect(seen).toEqual(sent.map((s) => s.messageId).reverse());
    const one = await conversations.findMessages(svc.init.orgId, { conversationId: sent[2]!.conversationId }, undefined, 2);
    expect(one.entities.map((m) => m.id)).toEqual([sent[2]!.messageId]);
    expect(one.next).toBeUndefined();
  });
});
