import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { type Agent, act, createAgent, createQueue, enqueue, newConversation, pull, stats, wrapupCode } from '../helpers/acd.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';

describe('the agent queue: pull, lease, decline, transfer, complete, last agent', () => {
  const clock = manualClock(Date.UTC(2026, 10, 22, 8));
  let svc: TestService;
  let a: Agent;
  let b: Agent;
  beforeAll(async () => {
    svc = await startService({ THREADLINE_LAST_AGENT_SECONDS: '60' }, { clock });
    [a, b] = await Promise.all([createAgent(svc), createAgent(svc)]);
  });

  async function item(queueId: string, priority?: number) {
    const conv = await newConversation(svc);
    const r = await enqueue(svc, { queueId, ...conv, priority });
    return { ...conv, id: r.id, offeredTo: r.offeredTo };
  }

  it('hands out the highest priority first, then the oldest, with conversation and messages', async () => {
    const q = await createQueue(svc, [a]);
    const low1 = await item(q, 0);
    clock.advance(1000);
    const high1 = await item(q, 5);
    clock.advance(1000);
    const low2 = await item(q, 0);
    clock.advance(1000);
    const high2 = await item(q, 5);
    clock.advance(10_000);
    expect(await stats(svc, q)).toMatchObject({ waiting: 4, inProgress: 0, oldestWaitingSeconds: 13 });

    const first = await pull(svc, a, q);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: high1.id, state: 'leased', agentId: a.id, priority: 5, conversationId: high1.conversationId, messagesTotal: 1 });
    expect(first.body.conversation.id).toBe(high1.conversationId);
    expect(first.body.messages.map((m: { id: string }) => m.id)).toEqual([high1.messageId]);
    expect(first.body.leaseExpires).toBe(new Date(clock.now() + 300_000).toISOString());
    const order = [first.body.id];
    for (let i = 0; i < 3; i++) order.push((await pull(svc, a, q)).body.id);
    expect(order).toEqual([high1.id, high2.id, low1.id, low2.id]);
    const none = await pull(svc, a, q);
    expect(none.status).toBe(204);
    expect(none.body).toBeNull();
    expect(await stats(svc, q)).toMatchObject({ waiting: 0, inProgress: 4, oldestWaitingSeconds: null });
  });

  it("pulls from any of the caller's queues, and a lease length can be chosen within bounds", async () => {
    const q1 = await createQueue(svc, [a]);
    const q2 = await createQueue(svc, [a]);
    const older = await item(q2);
    clock.advance(1000);
    const newer = await item(q1);
    const got = await pull(svc, a, null, { leaseSeconds: 60 });
    expect(got.body).toMatchObject({ id: older.id, queueId: q2 });
    expect(got.body.leaseExpires).toBe(new Date(clock.now() + 60_000).toISOString());
    expect((await pull(svc, a, null)).body.id).toBe(newer.id);
    expect((await pull(svc, a, null)).status).toBe(204);
  });

  it('puts an item back when its lease runs out, counts it, and the old holder can no longer act on it', async () => {
    const q = await createQueue(svc, [a, b]);
    const it1 = await item(q);
    expect((await pull(svc, a, q)).body.id).toBe(it1.id);
    clock.advance(299_000);
    expect((await stats(svc, q)).inProgress).toBe(1);
    clock.advance(1_000); // exactly at the lease's end: it has run out
    await waitFor(async () => ((await stats(svc, q)).waiting === 1 ? true : undefined), 10_000, 'the expired item back in its queue');
    expect(await stats(svc, q)).toMatchObject({ waiting: 1, inProgress: 0, leaseExpiriesToday: 1, leaseExpiriesTotal: 1 });
    const seen = await svc.api('GET', `/api/v2/acd/workitems/${it1.id}`);
    expect(seen.body).toMatchObject({ state: 'waiting', agentId: null, leaseExpiries: 1 });
    expect(seen.body.history.map((e: { type: string }) => e.type)).toEqual(['enqueued', 'leased', 'lease_expired']);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/^threadline_acd_lease_expiries_total [1-9]/m);

    for (const action of ['complete', 'lease', 'decline'] as const) {
      const late = await act(svc, a, it1.id, action, action === 'complete' ? { wrapupCode: 'resolved' } : undefined);
      expect(late.status, action).toBe(409);
      expect(late.body.code).toBe('workitem.lease.not.held');
    }
    const again = await pull(svc, b, q);
    expect(again.body).toMatchObject({ id: it1.id, agentId: b.id, leaseExpiries: 1 });
    expect((await act(svc, b, it1.id, 'complete', {})).status).toBe(200);
  });

  it('a lease past its end cannot be used even before the worker has put the item back', async () => {
    const q = await createQueue(svc, [a]);
    const it1 = await item(q);
    await pull(svc, a, q, { leaseSeconds: 30 });
    // The holder's own actions check the lease's end against the clock, not the worker's progress.
    clock.advance(30_000);
    expect((await act(svc, a, it1.id, 'complete', { wrapupCode: 'late' })).status).toBe(409);
  });

  it('extends a lease from now', async () => {
    const q = await createQueue(svc, [a]);
    const it1 = await item(q);
    await pull(svc, a, q);
    clock.advance(200_000);
    const extended = await act(svc, a, it1.id, 'lease', { leaseSeconds: 600 });
    expect(extended.status).toBe(200);
    expect(extended.body.leaseExpires).toBe(new Date(clock.now() + 600_000).toISOString());
    clock.advance(500_000); // past the first lease, inside the extended one
    const done = await act(svc, a, it1.id, 'complete', {});
    expect(done.status).toBe(200);
    expect((await svc.api('GET', `/api/v2/acd/workitems/${it1.id}`)).body.leaseExpiries).toBe(0);
  });

  it('declines back to the queue (not to the decliner for a minute), transfers, and completes with a wrap-up', async () => {
    const c = await createAgent(svc);
    const q = await createQueue(svc, [a, b]);
    const q2 = await createQueue(svc, [c]);
    const it1 = await item(q);
    expect((await pull(svc, a, q)).body.id).toBe(it1.id);
    const declined = await act(svc, a, it1.id, 'decline');
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ state: 'waiting', agentId: null });
    expect((await pull(svc, a, q)).status).toBe(204);
    expect((await pull(svc, b, q)).body.id).toBe(it1.id);
    // Only the holder acts on the item.
    expect((await act(svc, a, it1.id, 'complete', { wrapupCode: 'x' })).status).toBe(409);
    expect((await act(svc, a, it1.id, 'transfer', { queueId: q2 })).status).toBe(409);

    const moved = await act(svc, b, it1.id, 'transfer', { queueId: q2 });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ state: 'waiting', queueId: q2, agentId: null });
    expect(await stats(svc, q)).toMatchObject({ waiting: 0, inProgress: 0 });
    expect((await stats(svc, q2)).waiting).toBe(1);
    expect((await act(svc, b, it1.id, 'complete', { wrapupCode: 'x' })).status).toBe(409);

    expect((await pull(svc, c, q2)).body.id).toBe(it1.id);
    const orderStatus = await wrapupCode(svc, 'order-status', [q2]);
    const done = await act(svc, c, it1.id, 'complete', { wrapupCode: orderStatus, notes: 'Told them it ships Monday.' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ state: 'completed', completedBy: c.id, wrapupCode: orderStatus, notes: 'Told them it ships Monday.', agentId: null });
    expect(await stats(svc, q2)).toMatchObject({ waiting: 0, inProgress: 0, completedToday: 1 });
    expect((await act(svc, c, it1.id, 'complete', { wrapupCode: 'again' })).status).toBe(409);
    const history = (await svc.api('GET', `/api/v2/acd/workitems/${it1.id}`)).body.history;
    expect(history.map((e: { type: string; agentId: string | null }) => [e.type, e.agentId])).toEqual([
      ['enqueued', null],
      ['leased', a.id],
      ['declined', a.id],
      ['leased', b.id],
      ['transferred', b.id],
      ['leased', c.id],
      ['completed', c.id],
    ]);
    // The decliner gets the item again once the minute has passed.
    const it2 = await item(q);
    await pull(svc, a, q);
    await act(svc, a, it2.id, 'decline');
    clock.advance(60_000);
    expect((await pull(svc, a, q)).body.id).toBe(it2.id);
  });

  it('a second reply joins the open item of its conversation instead of queueing twice', async () => {
    const q = await createQueue(svc, [a]);
    const it1 = await item(q, 1);
    const second = await newConversation(svc, undefined, { conversationId: it1.conversationId });
    const joined = await enqueue(svc, { queueId: q, conversationId: it1.conversationId, messageId: second.messageId, priority: 3 });
    expect(joined).toEqual({ id: it1.id, offeredTo: null, created: false });
    expect((await stats(svc, q)).waiting).toBe(1);
    const got = await pull(svc, a, q);
    expect(got.body).toMatchObject({ id: it1.id, priority: 3, messagesTotal: 2 });
  });

  it('offers a new reply to the agent who completed the conversation, if still a member and free, for a limited time', async () => {
    // Fresh agents: "free" means holding no lease, and earlier tests leave leases behind.
    const [a, b] = await Promise.all([createAgent(svc), createAgent(svc)]);
    const q = await createQueue(svc, [a, b]);
    const first = await item(q);
    await pull(svc, a, q);
    await act(svc, a, first.id, 'complete', {});

    // The customer replies: the item is reserved for A, invisible to B until the offer runs out.
    const reply1 = await enqueue(svc, { queueId: q, conversationId: first.conversationId, messageId: first.messageId });
    expect(reply1).toMatchObject({ offeredTo: a.id, created: true });
    expect(await stats(svc, q)).toMatchObject({ waiting: 1, offered: 1 });
    expect((await pull(svc, b, q)).status).toBe(204);
    clock.advance(59_000);
    expect((await pull(svc, b, q)).status).toBe(204);
    clock.advance(1_000);
    expect((await pull(svc, b, q)).body.id).toBe(reply1.id);
    await act(svc, b, reply1.id, 'complete', {});

    // Now B was last. B gets the next reply first, ahead of a more urgent item.
    const urgent = await item(q, 10);
    const reply2 = await enqueue(svc, { queueId: q, conversationId: first.conversationId, messageId: first.messageId });
    expect(reply2.offeredTo).toBe(b.id);
    expect((await pull(svc, b, q)).body.id).toBe(reply2.id);
    expect((await pull(svc, a, q)).body.id).toBe(urgent.id);

    // B holds an item (reply2), so B is not free: the next item of B's other conversation is not reserved.
    const other = await item(q);
    await pull(svc, b, q);
    await act(svc, b, other.id, 'complete', {});
    const reply3 = await enqueue(svc, { queueId: q, conversationId: other.conversationId, messageId: other.messageId });
    expect(reply3.offeredTo).toBeNull();
    expect((await pull(svc, a, q)).body.id).toBe(reply3.id);

    // Nor is it reserved for an agent who left the queue.
    await act(svc, b, reply2.id, 'complete', {});
    expect((await svc.api('DELETE', `/api/v2/routing/queues/${q}/members/${b.id}`)).status).toBe(204);
    const reply4 = await enqueue(svc, { queueId: q, conversationId: first.conversationId, messageId: first.messageId });
    expect(reply4.offeredTo).toBeNull();
  });

  it('lets only members pull, only agents pull, and keeps organizations apart', async () => {
    const q = await createQueue(svc, [a]);
    const it1 = await item(q);
    const outsider = await createAgent(svc);
    const denied = await pull(svc, outsider, q);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('not.queue.member');
    expect((await pull(svc, outsider, null)).status).toBe(204);
    expect((await svc.api('GET', `/api/v2/acd/workitems/${it1.id}`, { token: outsider.token })).status).toBe(404);
    const noPerm = await createAgent(svc, { permissions: ['routing:queue:view'] });
    await svc.api('POST', `/api/v2/routing/queues/${q}/members`, { body: [{ id: noPerm.id }] });
    expect((await pull(svc, noPerm, q)).status).toBe(403);
    // A client-credentials token acts for no user.
    const admin = await svc.api('POST', `/api/v2/acd/queues/${q}/pull`);
    expect(admin.status).toBe(400);
    expect(admin.body.message).toContain('user context');

    const org = await svc.running.services.auth.createOrganization('Other Co');
    const client = await svc.running.services.auth.createClient(org.id, 'admin', ['*:*:*']);
    const otherAdmin = await svc.token(client.id, client.secret);
    const foreign = await createAgent(svc, { adminToken: otherAdmin, client });
    const theirQueue = await createQueue(svc, [foreign], otherAdmin);
    expect((await pull(svc, foreign, q)).status).toBe(404);
    expect((await pull(svc, foreign, null)).status).toBe(204);
    expect((await pull(svc, foreign, theirQueue)).status).toBe(204);
    expect((await svc.api('GET', `/api/v2/acd/workitems/${it1.id}`, { token: otherAdmin })).status).toBe(404);
    expect((await svc.api('GET', `/api/v2/routing/queues/${q}/stats`, { token: otherAdmin })).status).toBe(404);
    const addOurs = await svc.api('POST', `/api/v2/routing/queues/${theirQueue}/members`, { token: otherAdmin, body: [{ id: a.id }] });
    expect(addOurs.status).toBe(400);
    expect(addOurs.body.details[0].fieldName).toBe('0.id');
    await pull(svc, a, q);
    expect((await act(svc, foreign, it1.id, 'complete', { wrapupCode: 'x' })).status).toBe(404);
    expect((await act(svc, a, it1.id, 'transfer', { queueId: theirQueue })).body.details[0].fieldName).toBe('queueId');
    expect((await act(svc, a, it1.id, 'complete', {})).status).toBe(200);
  });

  it('answers bad input with a 400 naming the field', async () => {
    const q = await createQueue(svc, [a]);
    const it1 = await item(q);
    for (const [body, field] of [
      [{ leaseSeconds: 5 }, 'leaseSeconds'],
      [{ leaseSeconds: 3601 }, 'leaseSeconds'],
      [{ leaseSeconds: 'ten' }, 'leaseSeconds'],
    ] as const) {
      const res = await pull(svc, a, q, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.details[0].fieldName).toBe(field);
    }
    expect((await pull(svc, a, q)).body.id).toBe(it1.id);
    for (const [action, body, field] of [
      ['lease', { leaseSeconds: 0 }, 'leaseSeconds'],
      ['transfer', {}, 'queueId'],
      ['transfer', { queueId: q }, 'queueId'],
      ['transfer', { queueId: '01a20000-0000-7000-8000-000000000000' }, 'queueId'],
      ['complete', { wrapupCode: '   ' }, 'wrapupCode'],
      ['complete', { wrapupCode: 'x'.repeat(101) }, 'wrapupCode'],
      // Free text is no wrap-up code: codes are entities (wrapup-codes.test.ts).
      ['complete', { wrapupCode: 'resolved' }, 'wrapupCode'],
      ['complete', { notes: 'n'.repeat(4001) }, 'notes'],
    ] as const) {
      const res = await act(svc, a, it1.id, action, body);
      expect(res.status, `${action} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.details[0].fieldName).toBe(field);
    }
    expect((await act(svc, a, '01a20000-0000-7000-8000-000000000000', 'complete', { wrapupCode: 'x' })).status).toBe(404);
    const resolved = await wrapupCode(svc, 'resolved', [q]);
    expect((await act(svc, a, it1.id, 'complete', { wrapupCode: ` ${resolved} ` })).body.wrapupCode).toBe(resolved);
  });
});
