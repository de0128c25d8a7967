import { beforeAll, describe, expect, it } from 'vitest';
import { type Agent, act, createAgent, createQueue, enqueue, newConversation, pull, wrapupCode } from '../helpers/acd.js';
import { eventsOf, startService, type TestService } from '../helpers/service.js';

describe('wrap-up codes: entities of the organization, a list per queue, checked on completion', () => {
  let svc: TestService;
  let agent: Agent;
  beforeAll(async () => {
    svc = await startService();
    agent = await createAgent(svc);
  });

  const heldItem = async (queueId: string) => {
    const conv = await newConversation(svc);
    const { id } = await enqueue(svc, { queueId, ...conv });
    expect((await pull(svc, agent, queueId)).body.id).toBe(id);
    return id;
  };

  it('creates, lists, gets, renames and deletes codes; names are unique in the organization', async () => {
    const made = await svc.api('POST', '/api/v2/routing/wrapupcodes', { body: { name: '  Refund issued ' } });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ id: expect.any(String), name: 'Refund issued', selfUri: `/api/v2/routing/wrapupcodes/${made.body.id}` });
    const id = made.body.id as string;
    const again = await svc.api('POST', '/api/v2/routing/wrapupcodes', { body: { name: 'Refund issued' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('wrapupcode.name.exists');
    expect((await svc.api('GET', `/api/v2/routing/wrapupcodes/${id}`)).body.name).toBe('Refund issued');
    const listed = await svc.api('GET', '/api/v2/routing/wrapupcodes?pageSize=100');
    expect(listed.body.entities.map((c: { id: string }) => c.id)).toContain(id);
    expect(listed.body).toMatchObject({ pageNumber: 1, pageSize: 100, total: listed.body.entities.length });
    const renamed = await svc.api('PUT', `/api/v2/routing/wrapupcodes/${id}`, { body: { name: 'Refunded' } });
    expect(renamed.body).toMatchObject({ id, name: 'Refunded' });
    expect((await svc.api('POST', '/api/v2/routing/wrapupcodes', { body: { name: 'bad\nname' } })).body.details[0].fieldName).toBe('name');
    expect((await svc.api('DELETE', `/api/v2/routing/wrapupcodes/${id}`)).status).toBe(204);
    expect((await svc.api('GET', `/api/v2/routing/wrapupcodes/${id}`)).status).toBe(404);
  });

  it("keeps each queue's list: codes added by id (an unknown one named), removed, and gone with a deleted code", async () => {
    const q = await createQueue(svc, []);
    const a = await wrapupCode(svc, 'answered');
    const b = await wrapupCode(svc, 'escalated');
    const added = await svc.api('POST', `/api/v2/routing/queues/${q}/wrapupcodes`, { body: [{ id: a }, { id: b }, { id: a }] });
    expect(added.status).toBe(200);
    const listed = async () => (await svc.api('GET', `/api/v2/routing/queues/${q}/wrapupcodes`)).body.entities.map((c: { id: string }) => c.id).sort();
    expect(await listed()).toEqual([a, b].sort());
    const unknown = await svc.api('POST', `/api/v2/routing/queues/${q}/wrapupcodes`, { body: [{ id: a }, { id: 'no-such-code' }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].fieldName).toBe('[1].id');
    expect((await svc.api('DELETE', `/api/v2/routing/queues/${q}/wrapupcodes/${a}`)).status).toBe(204);
    expect(await listed()).toEqual([b]);
    expect((await svc.api('DELETE', `/api/v2/routing/queues/${q}/wrapupcodes/${a}`)).status).toBe(404);
    expect((await svc.api('DELETE', `/api/v2/routing/wrapupcodes/${b}`)).status).toBe(204);
    expect(await listed()).toEqual([]);
  });

  it("refuses to complete with a code that is not in the item's queue's list, or without one there: 400 naming wrapupCode", async () => {
    const q = await createQueue(svc, [agent]);
    const offered = await wrapupCode(svc, 'resolved', [q]);
    const elsewhere = await wrapupCode(svc, 'other-queue', [await createQueue(svc, [])]);
    const id = await heldItem(q);
    for (const body of [{}, { wrapupCode: elsewhere }, { wrapupCode: 'resolved' }]) {
      const refused = await act(svc, agent, id, 'complete', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.details[0].fieldName).toBe('wrapupCode');
    }
    const done = await act(svc, agent, id, 'complete', { wrapupCode: offered, notes: 'Sorted.' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ state: 'completed', wrapupCode: offered });
    const [completed] = await eventsOf(svc, 'workitem.completed', (e) => e.data.workItemId === id, 1);
    expect(completed.data.wrapupCode).toBe(offered);
  });

  it('in a queue that offers no codes: completes without one, and a code given must be one of the organization', async () => {
    const q = await createQueue(svc, [agent]);
    const first = await heldItem(q);
    const refused = await act(svc, agent, first, 'complete', { wrapupCode: 'free text' });
    expect(refused.status).toBe(400);
    expect(refused.body.details[0].fieldName).toBe('wrapupCode');
    expect((await act(svc, agent, first, 'complete', {})).body).toMatchObject({ state: 'completed', wrapupCode: null });
    const second = await heldItem(q);
    const any = await wrapupCode(svc, 'any');
    expect((await act(svc, agent, second, 'complete', { wrapupCode: any })).body.wrapupCode).toBe(any);
  });

  it("agents read their queue's codes but manage none; the routes are in the OpenAPI document", async () => {
    const q = await createQueue(svc, [agent]);
    await wrapupCode(svc, 'visible', [q]);
    expect((await svc.api('GET', `/api/v2/routing/queues/${q}/wrapupcodes`, { token: agent.token })).body.entities).toHaveLength(1);
    expect((await svc.api('POST', '/api/v2/routing/wrapupcodes', { token: agent.token, body: { name: 'mine' } })).status).toBe(403);
    expect((await svc.api('POST', `/api/v2/routing/queues/${q}/wrapupcodes`, { token: agent.token, body: [{ id: 'x' }] })).status).toBe(403);
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v2/routing/wrapupcodes']!)).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v2/routing/wrapupcodes/{codeId}']!).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(doc.paths['/api/v2/routing/queues/{queueId}/wrapupcodes']!)).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v2/routing/queues/{queueId}/wrapupcodes/{codeId}']!)).toEqual(['delete']);
  });
});
