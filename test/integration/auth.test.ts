import http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_LIMITS, LOGIN_WINDOW_MS } from '../../src/auth/login-throttle.js';
import { manualClock } from '../../src/clock.js';
import { type Agent, createAgent, PASSWORD } from '../helpers/acd.js';
import { pool, sendBody, startService, type TestService } from '../helpers/service.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('OAuth client credentials, permissions and tenant isolation', () => {
  const clock = manualClock(Date.UTC(2026, 10, 22, 8));
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({}, { clock });
  });
  const token = (headers: Record<string, string>, body: string) =>
    fetch(`${svc.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

  it('issues an expiring bearer token for HTTP Basic credentials or form fields', async () => {
    const byBasic = await token({ authorization: basic(svc.init.clientId, svc.init.clientSecret) }, form({ grant_type: 'client_credentials' }));
    expect(byBasic.status).toBe(200);
    expect(await byBasic.json()).toMatchObject({ token_type: 'bearer', expires_in: 86400, access_token: expect.any(String) });
    const byForm = await token({}, form({ grant_type: 'client_credentials', client_id: svc.init.clientId, client_secret: svc.init.clientSecret }));
    expect(byForm.status).toBe(200);
  });

  it('refuses a wrong secret, an unknown client and another grant, with Genesys and OAuth error fields', async () => {
    const wrong = await token({ authorization: basic(svc.init.clientId, 'not-the-secret') }, form({ grant_type: 'client_credentials' }));
    expect(wrong.status).toBe(401);
    const body = await wrong.json();
    expect(body).toMatchObject({ status: 401, code: 'invalid_client', error: 'invalid_client' });
    expect(JSON.stringify(body)).not.toContain('not-the-secret');
    expect((await token({ authorization: basic('01a20000-0000-7000-8000-000000000000', 'x') }, form({ grant_type: 'client_credentials' }))).status).toBe(401);
    const grant = await token({ authorization: basic(svc.init.clientId, svc.init.clientSecret) }, form({ grant_type: 'authorization_code' }));
    expect(grant.status).toBe(400);
    expect((await grant.json()).details[0].fieldName).toBe('grant_type');
  });

  it('answers malformed HTTP Basic credentials with 401 invalid_client, never a 500', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    for (const header of [
      `Basic ${b64('id%ZZ:secret')}`, // a bad %-escape in the client id
      `Basic ${b64(`${svc.init.clientId}:%E0%A4%A`)}`, // a truncated %-escape in the secret
      `Basic ${b64('no-colon-here')}`,
      'Basic not*base64!',
      'Basic',
    ]) {
      const res = await token({ authorization: header }, form({ grant_type: 'client_credentials' }));
      expect(res.status, header).toBe(401);
      const body = await res.json();
      expect(body, header).toMatchObject({ status: 401, code: 'invalid_client', error: 'invalid_client' });
      expect(body.message, header).toContain('HTTP Basic credentials are malformed');
    }
  });

  it('refuses requests without a token, with a forged one, or with an expired one', async () => {
    const none = await fetch(`${svc.url}/api/v2/routing/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const good = await svc.newToken();
    const forged = good.slice(0, -3) + (good.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await svc.api('GET', '/api/v2/routing/queues', { token: forged })).status).toBe(401);
    expect((await svc.api('GET', '/api/v2/routing/queues', { token: good })).status).toBe(200);
    clock.advance(86_400_000 + 1);
    expect((await svc.api('GET', '/api/v2/routing/queues', { token: good })).status).toBe(401);
    await svc.newToken();
  });

  it('checks Genesys permission strings on every route', async () => {
    const created = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: 'viewer', permissions: ['conversation:email:view'] } });
    expect(created.status).toBe(200);
    expect(created.body.secret).toEqual(expect.any(String));
    const viewer = await svc.token(created.body.id, created.body.secret);
    const denied = await svc.api('POST', '/api/v2/conversations/emails/agentless', { token: viewer, body: sendBody(svc) });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('missing.any.permissions');
    expect(denied.body.message).toContain('conversation:agentlessEmail:send');
    expect((await svc.api('POST', '/api/v2/routing/queues', { token: viewer, body: { name: 'X' } })).status).toBe(403);

    // Either send permission works, as in Genesys.
    for (const perm of ['conversation:agentlessEmail:send', 'conversation:email:create']) {
      const c = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: perm, permissions: [perm] } });
      const t = await svc.token(c.body.id, c.body.secret);
      expect((await svc.api('POST', '/api/v2/conversations/emails/agentless', { token: t, body: sendBody(svc) })).status).toBe(202);
    }
    const bad = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: 'bad', permissions: ['send everything'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].fieldName).toBe('permissions');
  });

  it('lists clients without secrets, and a disabled client stops working', async () => {
    const c = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: 'short-lived', permissions: ['routing:queue:view'] } });
    const t = await svc.token(c.body.id, c.body.secret);
    const list = await svc.api('GET', '/api/v2/oauth/clients');
    expect(list.body.entities.map((e: { name: string }) => e.name)).toContain('short-lived');
    expect(JSON.stringify(list.body)).not.toContain(c.body.secret);
    expect((await svc.api('DELETE', `/api/v2/oauth/clients/${c.body.id}`)).status).toBe(204);
    clock.advance(10_001); // tokens of a disabled client die within the 10 s client cache
    expect((await svc.api('GET', '/api/v2/routing/queues', { token: t })).status).toBe(401);
    const again = await fetch(`${svc.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(c.body.id, c.body.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(again.status).toBe(401);
  });

  it("never shows one organization's data to another", async () => {
    const mine = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc) });
    const other = await svc.running.services.auth.createOrganization('Other Co');
    const oc = await svc.running.services.auth.createClient(other.id, 'admin', ['*:*:*']);
    const theirs = await svc.token(oc.id, oc.secret);
    const { conversationId, id } = mine.body;
    for (const path of [
      `/api/v2/conversations/emails/${conversationId}`,
      `/api/v2/conversations/emails/${conversationId}/messages`,
      `/api/v2/conversations/emails/${conversationId}/messages/${id}`,
      `/api/v2/routing/queues/${svc.init.queueId}`,
      `/api/v2/routing/email/outbound/domains/${svc.init.senderDomain}`,
      `/api/v2/routing/email/domains/${svc.init.inboundDomain}`,
    ]) {
      expect((await svc.api('GET', path, { token: theirs })).status, path).toBe(404);
    }
    // Their lists do not include our things.
    expect((await svc.api('GET', '/api/v2/routing/queues', { token: theirs })).body.entities).toEqual([]);
    expect((await svc.api('GET', '/api/v2/oauth/clients', { token: theirs })).body.entities.map((e: { id: string }) => e.id)).toEqual([oc.id]);
    // They can neither link into our conversation nor send from our domain.
    const link = await svc.api('POST', '/api/v2/conversations/emails/agentless', { token: theirs, body: sendBody(svc, { conversationId }) });
    expect(link.status).toBe(400);
    expect(link.body.details[0].fieldName).toBe('fromAddress.email');
    await svc.running.services.domains.createSenderDomain(other.id, 'mail.other.example.com');
    const link2 = await svc.api('POST', '/api/v2/conversations/emails/agentless', {
      token: theirs,
      body: sendBody(svc, { conversationId, fromAddress: { email: 'x@mail.other.example.com' } }),
    });
    expect(link2.status).toBe(400);
    expect(link2.body.details[0].fieldName).toBe('conversationId');
    // And they cannot register a domain we own.
    expect((await svc.api('POST', '/api/v2/routing/email/outbound/domains', { token: theirs, body: { id: svc.init.senderDomain } })).status).toBe(409);
  });
});

describe('password grant throttling', () => {
  const clock = manualClock(Date.UTC(2026, 10, 22, 9));
  let svc: TestService;
  let ada: Agent;
  let bob: Agent;
  beforeAll(async () => {
    svc = await startService({ THREADLINE_TRUSTED_PROXIES: '127.0.0.10' }, { clock });
    [ada, bob] = await Promise.all([createAgent(svc), createAgent(svc)]);
  });

  /** A password-grant request from a chosen loopback address (all of 127.0.0.0/8 reaches the server). */
  const login = (from: string, username: string, password: string, forwardedFor?: string) =>
    new Promise<{ status: number; retryAfter: string | undefined; body: any }>((resolve, reject) => {
      const url = new URL(`${svc.url}/oauth/token`);
      const body = form({ grant_type: 'password', username, password });
      const headers = {
        authorization: basic(svc.init.clientId, svc.init.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(Buffer.byteLength(body)),
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      };
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, agent: false, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it("refuses guesses at one user's password from one address past the limit, while the user still logs in from elsewhere", async () => {
    // However the username is spelled, it is the same user.
    const spellings = [ada.email, ada.email.toUpperCase(), ` ${ada.email} `];
    for (let i = 0; i < LOGIN_LIMITS.perUserAndAddress; i++) expect((await login('127.0.0.1', spellings[i % 3]!, `guess ${i}`)).status).toBe(400);
    const over = await login('127.0.0.1', ada.email, 'one guess too many');
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ status: 429, code: 'too.many.requests.retry.after' });
    const retry = Number(over.retryAfter);
    expect(retry).toBeGreaterThanOrEqual(1);
    // Up to two windows: the last window's failures must partly slide out of the next.
    expect(retry).toBeLessThanOrEqual((2 * LOGIN_WINDOW_MS) / 1000);
    // Past the limit even the right password waits, so a lucky guess there learns nothing.
    expect((await login('127.0.0.1', ada.email, PASSWORD)).status).toBe(429);
    // Not a lock-out: the user from another address, and another user from this one, log in.
    expect((await login('127.0.0.2', ada.email, PASSWORD)).status).toBe(200);
    expect((await login('127.0.0.1', bob.email, PASSWORD)).status).toBe(200);
    clock.advance(retry * 1000);
    expect((await login('127.0.0.1', ada.email, PASSWORD)).status).toBe(200);
  });

  it('counts only failures, and concurrent guesses cannot slip past the limit together', async () => {
    for (let i = 0; i < LOGIN_LIMITS.perUserAndAddress + 5; i++) expect((await login('127.0.0.3', bob.email, PASSWORD)).status).toBe(200);
    const guesses = await pool(LOGIN_LIMITS.perUserAndAddress * 2, LOGIN_LIMITS.perUserAndAddress * 2, (i) => login('127.0.0.4', bob.email, `guess ${i}`));
    expect(guesses.filter((g) => g.status === 400)).toHaveLength(LOGIN_LIMITS.perUserAndAddress);
    expect(guesses.filter((g) => g.status === 429)).toHaveLength(LOGIN_LIMITS.perUserAndAddress);
  });

  it("limits guesses at many users' passwords from one address", async () => {
    clock.advance(2 * LOGIN_WINDOW_MS);
    const sprayed = await pool(LOGIN_LIMITS.perAddress, 8, (i) => login('127.0.0.5', `nobody-${i}@example.com`, 'Summer2026!'));
    expect(sprayed.every((r) => r.status === 400)).toBe(true);
    const next = await login('127.0.0.5', ada.email, PASSWORD);
    expect(next.status).toBe(429);
    expect(next.body.message).toContain('from this address');
    expect((await login('127.0.0.6', ada.email, PASSWORD)).status).toBe(200);
  });

  it('behind a trusted proxy, counts by the client address it forwards', async () => {
    for (let i = 0; i < LOGIN_LIMITS.perUserAndAddress; i++) expect((await login('127.0.0.10', bob.email, `guess ${i}`, '203.0.113.1')).status).toBe(400);
    expect((await login('127.0.0.10', bob.email, PASSWORD, '203.0.113.1')).status).toBe(429);
    // Another client through the same proxy is someone else.
    expect((await login('127.0.0.10', bob.email, PASSWORD, '203.0.113.2')).status).toBe(200);
    // A client that is not a trusted proxy cannot pick its address by the header.
    for (let i = 0; i < LOGIN_LIMITS.perUserAndAddress; i++) await login('127.0.0.11', bob.email, `guess ${i}`, `198.51.100.${i}`);
    expect((await login('127.0.0.11', bob.email, PASSWORD, '198.51.100.200')).status).toBe(429);
  });
});
