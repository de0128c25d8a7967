import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, passwordToken } from '../helpers/acd.js';
import { startService, type TestService } from '../helpers/service.js';

// Nobody hands out a permission they do not hold; a password-grant token carries only what both
// its user and its client hold; the send limit has its own permission. Tables: what the caller
// holds × what it asks for, and the expected answer, written out.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});

async function client(permissions: string[]) {
  const c = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: `c-${randomUUID().slice(0, 8)}`, permissions } });
  expect(c.status, JSON.stringify(c.body)).toBe(200);
  return { id: c.body.id as string, secret: c.body.secret as string, token: await svc.token(c.body.id, c.body.secret) };
}

// Grantors are asked many times: one client each.
const grantors = new Map<string, Promise<{ token: string }>>();
const grantor = (permissions: string[]) => {
  const key = permissions.join(' ');
  if (!grantors.has(key)) grantors.set(key, client(permissions));
  return grantors.get(key)!;
};

const EDITOR = ['oauth:client:edit'];
const ADDER = ['directory:user:add'];
const Q_VIEW = 'routing:queue:view';
// Each grantor holds the permission to create (clients or users) plus these.
const GRANTORS = { alone: [], 'queue viewer': [Q_VIEW], 'every routing view': ['routing:*:view'], administrator: ['*:*:*'] } as const;
type Grantor = keyof typeof GRANTORS;
const MATRIX: Array<[string[], Grantor[]]> = [
  // requested permissions, the grantors that may give them
  [['*:*:*'], ['administrator']],
  [[Q_VIEW], ['queue viewer', 'every routing view', 'administrator']],
  [['routing:queue:*'], ['administrator']],
  [['routing:email:view'], ['every routing view', 'administrator']],
  [['routing:*:view'], ['every routing view', 'administrator']],
  [[Q_VIEW, 'routing:queue:edit'], ['administrator']],
  [['directory:organizationLimits:edit'], ['administrator']],
];

describe('granting permissions', () => {
  it.each(MATRIX)('clients: %j may be given only by %j', async (requested, allowed) => {
    for (const name of Object.keys(GRANTORS) as Grantor[]) {
      const { token } = await grantor([...EDITOR, ...GRANTORS[name]]);
      const res = await svc.api('POST', '/api/v2/oauth/clients', { token, body: { name: 'child', permissions: requested } });
      const label = `${name} grants ${requested.join(', ')}`;
      if (allowed.includes(name)) {
        expect(res.status, label).toBe(200);
        expect(res.body.permissions).toEqual(requested);
      } else {
        expect(res.status, label).toBe(403);
        expect(res.body).toMatchObject({ code: 'missing.any.permissions', details: [{ fieldName: 'permissions', entityName: expect.any(String) }] });
        expect(requested).toContain(res.body.details[0].entityName);
      }
    }
  });

  it.each(MATRIX)('users: %j may be given only by %j', async (requested, allowed) => {
    for (const name of Object.keys(GRANTORS) as Grantor[]) {
      const { token } = await grantor([...ADDER, ...GRANTORS[name]]);
      const email = `u-${randomUUID().slice(0, 8)}@example.com`;
      const res = await svc.api('POST', '/api/v2/users', { token, body: { name: 'User', email, password: PASSWORD, permissions: requested } });
      expect(res.status, `${name} grants ${requested.join(', ')}`).toBe(allowed.includes(name) ? 200 : 403);
    }
  });

  it('gives a new user the agent set only when the creator holds it', async () => {
    const agentSet = ['conversation:email:view', 'conversation:email:reply', 'routing:queue:view', 'acd:workitem:pull'];
    const body = () => ({ name: 'Agent', email: `a-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD });
    const bare = await svc.api('POST', '/api/v2/users', { token: (await client(ADDER)).token, body: body() });
    expect(bare.status).toBe(403);
    const holding = await svc.api('POST', '/api/v2/users', { token: (await client([...ADDER, ...agentSet])).token, body: body() });
    expect(holding.status).toBe(200);
    expect(holding.body.permissions).toEqual(agentSet);
  });

  it('stops the reported chain: a user adder cannot make an administrator, log in as it and raise the limit', async () => {
    const adder = await client(ADDER);
    const email = `boss-${randomUUID().slice(0, 8)}@example.com`;
    const made = await svc.api('POST', '/api/v2/users', { token: adder.token, body: { name: 'Boss', email, password: PASSWORD, permissions: ['*:*:*'] } });
    expect(made.status).toBe(403);
    // Even a user who does hold everything, logged in through the adder's client, gets only the adder's permission.
    expect((await svc.api('POST', '/api/v2/users', { body: { name: 'Boss', email, password: PASSWORD, permissions: ['*:*:*'] } })).status).toBe(200);
    const login = await passwordToken(svc, email, PASSWORD, adder);
    expect(login.status).toBe(200);
    const raise = await svc.api('PATCH', '/api/v2/organizations/me', { token: login.body.access_token, body: { agentlessEmailRateLimitPerMinute: 1_000_000 } });
    expect(raise.status).toBe(403);
    expect((await svc.api('GET', '/api/v2/organizations/me')).body.agentlessEmailRateLimitPerMinute).toBe(600);
  });
});

describe('password-grant tokens', () => {
  const CALLS = {
    listQueues: ['GET', '/api/v2/routing/queues'],
    createQueue: ['POST', '/api/v2/routing/queues'],
    readOrganization: ['GET', '/api/v2/organizations/me'],
    me: ['GET', '/api/v2/users/me'],
  } as const;
  type Call = keyof typeof CALLS;
  it.each<[string[], string[], Call[]]>([
    // user's permissions, client's permissions, the calls the token may make
    [['*:*:*'], [Q_VIEW], ['listQueues', 'me']],
    [[Q_VIEW], ['*:*:*'], ['listQueues', 'me']],
    [['routing:*:*'], ['*:queue:view', 'directory:organization:view'], ['listQueues', 'me']],
    [
      ['routing:queue:*', 'directory:*:view'],
      ['routing:queue:edit', '*:organization:*'],
      ['listQueues', 'createQueue', 'readOrganization', 'me'],
    ],
    [['routing:queue:view'], ['routing:queue:edit'], ['me']],
  ])('user %j through client %j may: %j', async (userPermissions, clientPermissions, allowed) => {
    const email = `p-${randomUUID().slice(0, 8)}@example.com`;
    expect((await svc.api('POST', '/api/v2/users', { body: { name: 'P', email, password: PASSWORD, permissions: userPermissions } })).status).toBe(200);
    const login = await passwordToken(svc, email, PASSWORD, await client(clientPermissions));
    expect(login.status).toBe(200);
    for (const [call, [method, path]] of Object.entries(CALLS) as Array<[Call, (typeof CALLS)[Call]]>) {
      const res = await svc.api(method, path, { token: login.body.access_token, body: method === 'POST' ? { name: `q-${randomUUID().slice(0, 8)}` } : undefined });
      expect(res.status, call).toBe(allowed.includes(call) ? 200 : 403);
    }
  });
});

describe('the organization', () => {
  it('needs directory:organizationLimits:edit to change the send limit, directory:organization:admin for the name', async () => {
    const admin = await client(['directory:organization:admin']);
    const limits = await client(['directory:organizationLimits:edit']);
    const patch = (token: string, body: object) => svc.api('PATCH', '/api/v2/organizations/me', { token, body });
    expect((await patch(admin.token, { name: 'Renamed Co' })).status).toBe(200);
    const refused = await patch(admin.token, { agentlessEmailRateLimitPerMinute: 1200 });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('directory:organizationLimits:edit');
    expect((await patch(admin.token, { name: 'Both', agentlessEmailRateLimitPerMinute: 1200 })).status).toBe(403);
    expect((await patch(limits.token, { name: 'Limits Co' })).status).toBe(403);
    const raised = await patch(limits.token, { agentlessEmailRateLimitPerMinute: 1200 });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ name: 'Renamed Co', agentlessEmailRateLimitPerMinute: 1200 });
  });
});
