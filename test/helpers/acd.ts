import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { sendBody, type TestService } from './service.js';

export const PASSWORD = 'correct horse battery staple';

/** A password-grant token, the client authenticating by HTTP Basic (the default organization's admin client unless given). */
export async function passwordToken(svc: TestService, username: string, password = PASSWORD, client = { id: svc.init.clientId, secret: svc.init.clientSecret }) {
  const res = await fetch(`${svc.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export interface Agent {
  id: string;
  email: string;
  token: string;
}

/** Creates a user through the API (with the admin token unless given) and logs them in. */
export async function createAgent(svc: TestService, opts: { adminToken?: string; client?: { id: string; secret: string }; permissions?: string[] } = {}): Promise<Agent> {
  const email = `agent-${randomUUID().slice(0, 8)}@example.com`;
  const created = await svc.api('POST', '/api/v2/users', { token: opts.adminToken, body: { name: `Agent ${email}`, email, password: PASSWORD, permissions: opts.permissions } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const login = await passwordToken(svc, email, PASSWORD, opts.client);
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  return { id: created.body.id, email, token: login.body.access_token };
}

/** A new queue with these members. */
export async function createQueue(svc: TestService, members: Agent[], adminToken?: string): Promise<string> {
  const q = await svc.api('POST', '/api/v2/routing/queues', { token: adminToken, body: { name: `q-${randomUUID().slice(0, 8)}` } });
  expect(q.status).toBe(200);
  if (members.length > 0) {
    const added = await svc.api('POST', `/api/v2/routing/queues/${q.body.id}/members`, { token: adminToken, body: members.map((m) => ({ id: m.id })) });
    expect(added.status).toBe(204);
  }
  return q.body.id;
}

/** A conversation made by the agentless send API: its id and its first message's id. */
export async function newConversation(svc: TestService, token?: string, overrides: Record<string, unknown> = {}) {
  const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { token, body: sendBody(svc, overrides) });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { conversationId: res.body.conversationId as string, messageId: res.body.id as string };
}

/** What the inbound path will do: enqueue inside a transaction of the shared batcher. */
export function enqueue(svc: TestService, item: { queueId: string; conversationId: string; messageId: string; priority?: number; orgId?: string }) {
  const { batcher, acd } = svc.running.services;
  return batcher.run((trx) => acd.enqueue(trx, { orgId: item.orgId ?? svc.init.orgId, ...item }));
}

export const pull = (svc: TestService, agent: Agent, queueId: string | null, body?: unknown) =>
  svc.api('POST', queueId === null ? '/api/v2/acd/pull' : `/api/v2/acd/queues/${queueId}/pull`, { token: agent.token, body });

export const act = (svc: TestService, agent: Agent, itemId: string, action: 'lease' | 'decline' | 'transfer' | 'complete', body?: unknown) =>
  svc.api('POST', `/api/v2/acd/workitems/${itemId}/${action}`, { token: agent.token, body });

export const stats = async (svc: TestService, queueId: string) => {
  const res = await svc.api('GET', `/api/v2/routing/queues/${queueId}/stats`);
  expect(res.status).toBe(200);
  return res.body as {
    waiting: number;
    offered: number;
    inProgress: number;
    oldestWaitingSeconds: number | null;
    completedToday: number;
    leaseExpiriesToday: number;
    leaseExpiriesTotal: number;
  };
};

/** A new wrap-up code of the organization, offered by these queues; its id. */
export async function wrapupCode(svc: TestService, name: string, queueIds: string[] = [], adminToken?: string): Promise<string> {
  const code = await svc.api('POST', '/api/v2/routing/wrapupcodes', { token: adminToken, body: { name: `${name}-${randomUUID().slice(0, 8)}` } });
  expect(code.status, JSON.stringify(code.body)).toBe(200);
  for (const q of queueIds) {
    const added = await svc.api('POST', `/api/v2/routing/queues/${q}/wrapupcodes`, { token: adminToken, body: [{ id: code.body.id }] });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
  }
  return code.body.id;
}
