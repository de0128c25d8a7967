import { beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createAgent, createQueue, enqueue, newConversation, pull, stats } from '../helpers/acd.js';
import { startService, type TestService } from '../helpers/service.js';

const AGENTS = 50;
const ITEMS = 200;

describe('pull-next under contention', () => {
  let svc: TestService;
  let agents: Agent[];
  let queueId: string;
  let itemIds: string[];
  beforeAll(async () => {
    svc = await startService();
    agents = await Promise.all(Array.from({ length: AGENTS }, () => createAgent(svc)));
    queueId = await createQueue(svc, agents);
    const conversations: Array<{ conversationId: string; messageId: string }> = [];
    for (let i = 0; i < ITEMS; i += 25) conversations.push(...(await Promise.all(Array.from({ length: 25 }, () => newConversation(svc)))));
    itemIds = (await Promise.all(conversations.map((c, i) => enqueue(svc, { queueId, ...c, priority: i % 3 })))).map((r) => r.id);
  });

  it(`${AGENTS} agents pulling at once over HTTP receive each of ${ITEMS} items exactly once`, async () => {
    const received = await Promise.all(
      agents.map(async (agent) => {
        const mine: string[] = [];
        for (;;) {
          const res = await pull(svc, agent, queueId);
          if (res.status === 204) return mine;
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(res.body.agentId).toBe(agent.id);
          mine.push(res.body.id);
        }
      }),
    );
    const all = received.flat();
    expect(all).toHaveLength(ITEMS);
    expect(new Set(all).size).toBe(ITEMS);
    expect([...all].sort()).toEqual([...itemIds].sort());
    // The pulls really did overlap: the work was spread over many agents.
    expect(received.filter((r) => r.length > 0).length).toBeGreaterThan(AGENTS / 2);
    expect(await stats(svc, queueId)).toMatchObject({ waiting: 0, inProgress: ITEMS });

    // And the database agrees with what each agent was told.
    const holders = new Map(received.flatMap((ids, i) => ids.map((id) => [id, agents[i]!.id] as const)));
    for (const id of itemIds.slice(0, 40)) {
      const item = await svc.api('GET', `/api/v2/acd/workitems/${id}`);
      expect(item.body).toMatchObject({ state: 'leased', agentId: holders.get(id) });
    }
  });
});
