import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS } from '../../src/auth/permissions.js';
import type { Services } from '../../src/deps.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log.js';
import type { Metrics } from '../../src/ops/metrics.js';
import { rawRequest } from '../helpers/raw-http.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';

// Walks every operation of the served OpenAPI document: each states its permissions and body
// limit, and enforces both before reading a byte of the body. A new route cannot slip past:
// the first test checks that every route the app serves under /api/v2 is in the document.

interface Operation {
  method: string;
  path: string;
  permissions: string[] | undefined;
  maxBodyBytes: number | undefined;
  description: string;
}

// Routes any valid token may call: the user a password-grant token acts for.
const ANY_TOKEN = ['GET /api/v2/users/me', 'POST /api/v2/users/me/password'];
// Routes called without a token: the token endpoint, the front page, health and metrics.
const PUBLIC = ['POST /oauth/token', 'GET /', 'GET /healthz', 'GET /readyz', 'GET /metrics'];
const SOME_ID = '01a20000-0000-7000-8000-000000000000';

let svc: TestService;
let operations: Operation[];
beforeAll(async () => {
  svc = await startService();
  const doc = await (await fetch(`${svc.url}/openapi.json`)).json();
  operations = Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      permissions: op['x-permissions'] as string[] | undefined,
      maxBodyBytes: op['x-max-body-bytes'] as number | undefined,
      description: String(op.description ?? ''),
    })),
  );
});

const name = (op: { method: string; path: string }) => `${op.method} ${op.path}`;
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, SOME_ID);

/** A token of a client holding every permission there is except those that open the route. */
const tokens = new Map<string, string>();
async function tokenLacking(permissions: string[]): Promise<string> {
  const held = ALL_PERMISSIONS.filter((p) => !permissions.includes(p));
  const key = held.join(' ');
  if (!tokens.has(key)) {
    const c = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: 'lacking', permissions: held } });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    tokens.set(key, await svc.token(c.body.id, c.body.secret));
  }
  return tokens.get(key)!;
}

describe('every route', () => {
  it('is in the OpenAPI document, with its permissions and its body limit', async () => {
    const stub = new Proxy({}, { get: () => ({}) }) as Services;
    const app = createApp({ services: stub, metrics: {} as Metrics, log: createLogger('silent'), ready: async () => null, version: '0', dataDir: '.' });
    const served = app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/v2/')).map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, '{$1}')}`);
    const documented = operations.map(name);
    expect(new Set(served)).toEqual(new Set(documented.filter((n) => n.includes(' /api/v2/'))));

    for (const op of operations) {
      expect(op.maxBodyBytes, name(op)).toEqual(expect.any(Number));
      if (PUBLIC.includes(name(op))) continue;
      expect(op.permissions, name(op)).toEqual(expect.any(Array));
      // Said in words too, where the interactive reference shows it.
      for (const p of op.permissions!) expect(op.description, name(op)).toContain(`\`${p}\``);
    }
    expect(operations.filter((op) => op.permissions?.length === 0).map(name)).toEqual(ANY_TOKEN);
  });

  it('answers 403 to a token without its permission, before reading the body', async () => {
    const guarded = operations.filter((op) => op.permissions && op.permissions.length > 0);
    expect(guarded.length).toBeGreaterThan(40);
    for (const op of guarded) {
      const authorization = `Bearer ${await tokenLacking(op.permissions!)}`;
      const headers = { authorization, 'content-type': 'application/json' };
      // A body declared past the route's limit of which only a little comes: a server reading
      // it would answer 413, or wait for the rest and time out.
      const unread = await rawRequest(svc.url, { method: op.method, path: concrete(op.path), headers, contentLength: op.maxBodyBytes! + 1, body: [Buffer.from('[[[[')] });
      expect(unread.status, name(op)).toBe(403);
      expect(unread.body, name(op)).toMatchObject({ code: 'missing.any.permissions', message: expect.stringContaining(op.permissions![0]!) });
      // Invalid JSON, complete: still 403, not 400.
      const invalid = await rawRequest(svc.url, { method: op.method, path: concrete(op.path), headers, body: [Buffer.from('{"not json')] });
      expect(invalid.status, name(op)).toBe(403);
    }
  });

  it('answers 413 to a body past its limit, judged by the declared length before reading', async () => {
    const headers = { authorization: `Bearer ${await svc.token()}`, 'content-type': 'application/json' };
    for (const op of operations) {
      const res = await rawRequest(svc.url, { method: op.method, path: concrete(op.path), headers, contentLength: op.maxBodyBytes! + 1, body: [Buffer.from('{')] });
      expect(res.status, name(op)).toBe(413);
      expect(res.body.code, name(op)).toBe('request.entity.too.large');
    }
  });

  it('lets a client that only sends neither read conversations nor their raw MIME', async () => {
    const sender = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: 'sender', permissions: ['conversation:agentlessEmail:send'] } });
    const token = await svc.token(sender.body.id, sender.body.secret);
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { token, body: sendBody(svc) });
    expect(sent.status).toBe(202);
    const base = `/api/v2/conversations/emails/${sent.body.conversationId}`;
    // The raw MIME of an outbound message is what capture stored: there once it is sent.
    await waitFor(async () => ((await svc.api('GET', `${base}/messages/${sent.body.id}`)).body.deliveryStatus?.status === 'sent' ? true : undefined), 20_000, 'the message captured');
    for (const path of [base, `${base}/messages`, `${base}/messages/${sent.body.id}`, `${base}/messages/${sent.body.id}/raw`]) {
      const res = await svc.api('GET', path, { token });
      expect(res.status, path).toBe(403);
      expect(res.body.message).toContain('conversation:email:view');
      expect((await svc.api('GET', path)).status, path).toBe(200);
    }
  });
});
