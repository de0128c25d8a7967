import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { createAgent, createQueue, PASSWORD, passwordToken } from '../helpers/acd.js';
import { startService, type TestService } from '../helpers/service.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('agents: users, password login, queue membership', () => {
  const clock = manualClock(Date.UTC(2026, 10, 22, 8));
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({}, { clock });
  });
  const tokenRequest = (headers: Record<string, string>, fields: Record<string, string>) =>
    fetch(`${svc.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });

  it('creates users with the agent permissions, never showing the password, one per email', async () => {
    const res = await svc.api('POST', '/api/v2/users', { body: { name: 'Ada Agent', email: 'Ada@Example.com', password: PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'Ada Agent',
      email: 'ada@example.com',
      username: 'ada@example.com',
      state: 'active',
      permissions: ['conversation:email:view', 'conversation:email:reply', 'routing:queue:view', 'acd:workitem:pull'],
    });
    expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
    const dup = await svc.api('POST', '/api/v2/users', { body: { name: 'Ada Again', email: 'ADA@example.com', password: PASSWORD } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('user.email.exists');
    expect((await svc.api('GET', `/api/v2/users/${res.body.id}`)).body.id).toBe(res.body.id);
    const list = await svc.api('GET', '/api/v2/users?pageSize=100');
    expect(list.body.entities.map((u: { id: string }) => u.id)).toContain(res.body.id);
    expect(list.body).toMatchObject({ pageNumber: 1, pageSize: 100 });
  });

  it('answers bad user input with a 400 naming the field', async () => {
    for (const [body, field] of [
      [{ name: 'x', email: 'not-an-address', password: PASSWORD }, 'email'],
      [{ name: 'x', email: 'short@example.com', password: 'short' }, 'password'],
      [{ name: '', email: 'empty@example.com', password: PASSWORD }, 'name'],
      [{ email: 'noname@example.com', password: PASSWORD }, 'name'],
      [{ name: 'x', email: 'perm@example.com', password: PASSWORD, permissions: ['pull everything'] }, 'permissions'],
    ] as const) {
      const res = await svc.api('POST', '/api/v2/users', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.details[0].fieldName).toBe(field);
    }
  });

  it('logs an agent in with grant_type=password, the client authenticating by Basic or form fields', async () => {
    const agent = await createAgent(svc);
    const byForm = await tokenRequest(
      {},
      { grant_type: 'password', username: agent.email.toUpperCase(), password: PASSWORD, client_id: svc.init.clientId, client_secret: svc.init.clientSecret },
    );
    expect(byForm.status).toBe(200);
    expect(byForm.headers.get('cache-control')).toBe('no-store');
    const body = await byForm.json();
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 86400 });
    const me = await svc.api('GET', '/api/v2/users/me', { token: body.access_token });
    expect(me.body).toMatchObject({ id: agent.id, email: agent.email });
    // The token has the user's permissions, not the (admin) client's.
    expect((await svc.api('POST', '/api/v2/routing/queues', { token: agent.token, body: { name: 'mine' } })).status).toBe(403);
    expect((await svc.api('POST', '/api/v2/users', { token: agent.token, body: { name: 'x', email: 'x@example.com', password: PASSWORD } })).status).toBe(403);
    expect((await svc.api('GET', '/api/v2/routing/queues', { token: agent.token })).status).toBe(200);
    // A client token acts for nobody.
    const adminMe = await svc.api('GET', '/api/v2/users/me');
    expect(adminMe.status).toBe(400);
  });

  it('refuses wrong passwords, unknown users, missing fields and unauthenticated clients', async () => {
    const agent = await createAgent(svc);
    const wrong = await passwordToken(svc, agent.email, 'not the password');
    const unknown = await passwordToken(svc, 'nobody@example.com', PASSWORD);
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_grant', error: 'invalid_grant', message: 'The username or password is wrong.' });
    }
    const auth = { authorization: basic(svc.init.clientId, svc.init.clientSecret) };
    for (const [fields, field] of [
      [{ grant_type: 'password', password: PASSWORD }, 'username'],
      [{ grant_type: 'password', username: agent.email }, 'password'],
    ] as const) {
      const res = await tokenRequest(auth, fields);
      expect(res.status).toBe(400);
      const b = await res.json();
      expect(b.details[0].fieldName).toBe(field);
      expect(b.error).toBe('invalid_request');
    }
    const noClient = await tokenRequest({}, { grant_type: 'password', username: agent.email, password: PASSWORD });
    expect(noClient.status).toBe(400);
    expect((await noClient.json()).details[0].fieldName).toBe('client_id');
    const badClient = await tokenRequest({ authorization: basic(svc.init.clientId, 'wrong') }, { grant_type: 'password', username: agent.email, password: PASSWORD });
    expect(badClient.status).toBe(401);
    expect((await badClient.json()).error).toBe('invalid_client');
    // A client of another organization cannot log our users in.
    const org = await svc.running.services.auth.createOrganization('Elsewhere');
    const client = await svc.running.services.auth.createClient(org.id, 'admin', ['*:*:*']);
    expect((await passwordToken(svc, agent.email, PASSWORD, client)).status).toBe(400);
  });

  it('adds, lists and removes queue members the Genesys way', async () => {
    const [x, y] = await Promise.all([createAgent(svc), createAgent(svc)]);
    const q = await createQueue(svc, [x]);
    const add = await svc.api('POST', `/api/v2/routing/queues/${q}/members`, { body: [{ id: x.id }, { id: y.id }] });
    expect(add.status).toBe(204);
    const list = await svc.api('GET', `/api/v2/routing/queues/${q}/members`);
    expect(list.body.total).toBe(2);
    expect(list.body.entities.map((m: { id: string }) => m.id).sort()).toEqual([x.id, y.id].sort());
    expect(list.body.entities[0]).toMatchObject({ joined: true, memberBy: 'user', user: { id: expect.any(String) } });
    // Agents may read the members of a queue; only administrators change them.
    expect((await svc.api('GET', `/api/v2/routing/queues/${q}/members`, { token: x.token })).status).toBe(200);
    expect((await svc.api('POST', `/api/v2/routing/queues/${q}/members`, { token: x.token, body: [{ id: x.id }] })).status).toBe(403);

    const unknown = await svc.api('POST', `/api/v2/routing/queues/${q}/members`, { body: [{ id: x.id }, { id: 'no-such-user' }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].fieldName).toBe('1.id');
    expect((await svc.api('POST', `/api/v2/routing/queues/${q}/members`, { body: [] })).status).toBe(400);
    expect((await svc.api('POST', `/api/v2/routing/queues/00000000-0000-7000-8000-000000000000/members`, { body: [{ id: x.id }] })).status).toBe(404);

    expect((await svc.api('POST', `/api/v2/routing/queues/${q}/members?delete=true`, { body: [{ id: y.id }] })).status).toBe(204);
    expect((await svc.api('DELETE', `/api/v2/routing/queues/${q}/members/${x.id}`)).status).toBe(204);
    expect((await svc.api('DELETE', `/api/v2/routing/queues/${q}/members/${x.id}`)).status).toBe(404);
    expect((await svc.api('GET', `/api/v2/routing/queues/${q}/members`)).body.total).toBe(0);
  });

  it('a deleted user can no longer log in, their token dies within 10 s, they leave their queues, and the email is free again', async () => {
    const agent = await createAgent(svc);
    const q = await createQueue(svc, [agent]);
    expect((await svc.api('DELETE', `/api/v2/users/${agent.id}`)).status).toBe(204);
    expect((await passwordToken(svc, agent.email)).status).toBe(400);
    expect((await svc.api('GET', `/api/v2/routing/queues/${q}/members`)).body.total).toBe(0);
    expect((await svc.api('GET', `/api/v2/users/${agent.id}`)).status).toBe(404);
    clock.advance(10_001);
    expect((await svc.api('GET', '/api/v2/users/me', { token: agent.token })).status).toBe(401);
    const again = await svc.api('POST', '/api/v2/users', { body: { name: 'Back', email: agent.email, password: PASSWORD } });
    expect(again.status).toBe(200);
    expect(again.body.id).not.toBe(agent.id);
  });
});
