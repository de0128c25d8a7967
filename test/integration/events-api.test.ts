import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { type Agent, act, createAgent, createQueue, enqueue, newConversation, pull } from '../helpers/acd.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';

// GET /api/v2/events as a caller sees it: organization-scoped, filtered, paged by an opaque
// cursor, refusing bad parameters by name; and a transaction that rolls back leaves no event.

const clock = manualClock(Date.UTC(2026, 11, 1, 9));
let svc: TestService;
let agent: Agent;
let queueId: string;

beforeAll(async () => {
  svc = await startService({}, { clock });
  agent = await createAgent(svc);
  queueId = await createQueue(svc, [agent]);
});

const list = async (query = '', token?: string) => {
  const res = await svc.api('GET', `/api/v2/events${query}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { entities: Array<{ id: string; type: string; data: Record<string, unknown> }>; nextCursor: string };
};

/** The listing once `ok` holds: on PostgreSQL an event shows once every older transaction of the cluster has ended. */
const listWhen = (query: string, ok: (l: Awaited<ReturnType<typeof list>>) => boolean, token?: string) =>
  waitFor(
    async () => {
      const l = await list(query, token);
      return ok(l) ? l : undefined;
    },
    10_000,
    `events ${query}`,
  );

/** An item in `queueId` for a new conversation (a send, then what the inbound path would enqueue). */
async function item() {
  const conv = await newConversation(svc);
  return { ...conv, id: (await enqueue(svc, { queueId, ...conv })).id };
}

describe('the listing', () => {
  it('filters by type, pages by the cursor, and keeps the cursor on an empty page', async () => {
    for (let i = 0; i < 3; i++) await newConversation(svc);
    const queued = (await listWhen('?types=message.queued', (l) => l.entities.length >= 3)).entities;
    expect(queued.length).toBeGreaterThanOrEqual(3);
    expect(new Set(queued.map((e) => e.type))).toEqual(new Set(['message.queued']));

    const pages: string[] = [];
    let cursor = '';
    for (;;) {
      const page = await list(`?types=message.queued,workitem.created&limit=2${cursor ? `&after=${cursor}` : ''}`);
      expect(page.entities.length).toBeLessThanOrEqual(2);
      pages.push(...page.entities.map((e) => e.id));
      if (page.entities.length === 0) {
        expect(page.nextCursor).toBe(cursor);
        break;
      }
      cursor = page.nextCursor;
    }
    expect(pages).toEqual((await list('?types=workitem.created,message.queued')).entities.map((e) => e.id).slice(0, pages.length));

    // What happens next is read from where the reader stopped, and nothing before it again.
    const later = await newConversation(svc);
    const next = await listWhen(`?types=message.queued&after=${cursor}`, (l) => l.entities.length > 0);
    expect(next.entities.map((e) => e.data.messageId)).toEqual([later.messageId]);
  });

  it.each([
    ['?types=message.sent,message.exploded', 'types', /"message\.exploded" is not an event type/],
    ['?types=', 'types', /"" is not an event type/],
    ['?limit=0', 'limit', /limit/],
    ['?limit=1001', 'limit', /limit/],
    ['?limit=ten', 'limit', /limit/],
    ['?after=not-a-cursor!', 'after', /after: is not a cursor/],
    [`?after=${Buffer.from('12.x').toString('base64url')}`, 'after', /after: is not a cursor/],
  ])('refuses %s naming %s', async (query, field, message) => {
    const res = await svc.api('GET', `/api/v2/events${query}`);
    expect(res.status).toBe(400);
    expect(res.body.details[0].fieldName).toBe(field);
    expect(res.body.message).toMatch(message);
  });

  it('shows an organization its own events only, and needs events:event:view', async () => {
    const other = await svc.running.services.auth.createOrganization('Other');
    const reader = await svc.running.services.auth.createClient(other.id, 'reader', ['events:event:view']);
    const theirs = await svc.token(reader.id, reader.secret);
    expect((await list('', theirs)).entities).toEqual([]);

    const mine = await newConversation(svc);
    await listWhen('', (l) => l.entities.some((e) => e.data.messageId === mine.messageId));
    expect((await list('', theirs)).entities).toEqual([]);

    const sender = await svc.running.services.auth.createClient(svc.init.orgId, 'sender', ['conversation:agentlessEmail:send']);
    const denied = await svc.api('GET', '/api/v2/events', { token: await svc.token(sender.id, sender.secret) });
    expect(denied.status).toBe(403);
  });
});

describe('work items back in a queue', () => {
  it('a transfer and a lease that ran out are requeued, naming where the item waits now', async () => {
    const other = await createQueue(svc, [agent]);
    const it1 = await item();
    expect((await pull(svc, agent, queueId)).body.id).toBe(it1.id);
    expect((await act(svc, agent, it1.id, 'transfer', { queueId: other })).status).toBe(200);
    expect((await pull(svc, agent, other)).body.id).toBe(it1.id);
    clock.advance(301_000);
    // The lease worker puts it back on its next tick; this does too, whichever comes first.
    await svc.running.services.acd.expireLeases();

    const events = await waitFor(async () => {
      const e = (await list('?types=workitem.created,workitem.assigned,workitem.requeued,workitem.completed')).entities.filter((x) => x.data.workItemId === it1.id);
      return e.length === 5 ? e : undefined;
    });
    expect(events.map((e) => [e.type, e.data.reason, e.data.queueId])).toEqual([
      ['workitem.created', undefined, queueId],
      ['workitem.assigned', undefined, queueId],
      ['workitem.requeued', 'transferred', other],
      ['workitem.assigned', undefined, other],
      ['workitem.requeued', 'leaseExpired', other],
    ]);
    expect(events[2]!.data.fromQueueId).toBe(queueId);
  });
});

describe('a transaction that rolls back', () => {
  it('leaves no event, while the work it was batched with keeps its own', async () => {
    const { batcher, acd } = svc.running.services;
    const [kept, lost] = [await newConversation(svc), await newConversation(svc)];
    // Started together, both run in one transaction of the group commit, each in a savepoint.
    const results = await Promise.allSettled([
      batcher.run((trx) => acd.enqueue(trx, { orgId: svc.init.orgId, queueId, ...kept })),
      batcher.run(async (trx) => {
        await acd.enqueue(trx, { orgId: svc.init.orgId, queueId, ...lost });
        throw new Error('injected after the event was written');
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    // Both were in one transaction: once the kept one's event shows, the lost one's would have.
    const created = (await listWhen('?types=workitem.created', (l) => l.entities.some((e) => e.data.conversationId === kept.conversationId))).entities;
    expect(created.map((e) => e.data.conversationId)).not.toContain(lost.conversationId);
  });
});
