import { beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});

describe('conversations', () => {
  it('links sends by conversationId; stitched messages are listed on request', async () => {
    const first = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: 'Case 17 opened' }) });
    const second = await svc.api('POST', '/api/v2/conversations/emails/agentless', {
      body: sendBody(svc, { subject: 'Case 17 update', conversationId: first.body.conversationId }),
    });
    expect(second.status).toBe(202);
    expect(second.body.conversationId).toBe(first.body.conversationId);
    const base = `/api/v2/conversations/emails/${first.body.conversationId}`;
    const conv = await svc.api('GET', base);
    expect(conv.body).toMatchObject({ id: first.body.conversationId, name: 'Case 17 opened', selfUri: base });
    const plain = await svc.api('GET', `${base}/messages`);
    expect(plain.body.entities.map((m: { subject: string }) => m.subject)).toEqual(['Case 17 opened']);
    const all = await svc.api('GET', `${base}/messages?includeAgentlessStitchedMessages=true`);
    expect(all.body.entities.map((m: { subject: string }) => m.subject)).toEqual(['Case 17 opened', 'Case 17 update']);
    expect(all.body).toMatchObject({ total: 2, pageNumber: 1, pageSize: 25 });
    const paged = await svc.api('GET', `${base}/messages?includeAgentlessStitchedMessages=true&pageSize=1&pageNumber=2`);
    expect(paged.body.entities.map((m: { subject: string }) => m.subject)).toEqual(['Case 17 update']);
    expect((await svc.api('GET', `${base}/messages?pageSize=0`)).status).toBe(400);
    expect((await svc.api('GET', `/api/v2/conversations/emails/01a20000-0000-7000-8000-000000000000`)).status).toBe(404);
  });
});

describe('interactions: conversations and message search', () => {
  it("lists the organization's conversations newest first, paged, each counting only the customer's messages", async () => {
    const other = await startService();
    const subjects = ['List A', 'List B', 'List C'];
    for (const subject of subjects) expect((await other.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(other, { subject }) })).status).toBe(202);
    const page1 = await other.api('GET', '/api/v2/conversations/emails?pageSize=2');
    expect(page1.status).toBe(200);
    expect(page1.body).toMatchObject({ total: 3, pageSize: 2, pageNumber: 1, pageCount: 2, lastUri: '/api/v2/conversations/emails?pageNumber=2&pageSize=2' });
    expect(page1.body.entities.map((c: { name: string }) => c.name)).toEqual(['List C', 'List B']);
    expect(page1.body.entities[0].participants[0]).toMatchObject({ purpose: 'customer', address: 'customer@example.com', messagesSent: 0 });
    const page2 = await other.api('GET', '/api/v2/conversations/emails?pageSize=2&pageNumber=2');
    expect(page2.body.entities.map((c: { name: string }) => c.name)).toEqual(['List A']);
    // Another organization's conversations are not listed.
    const mine = await svc.api('GET', '/api/v2/conversations/emails?pageSize=100');
    expect(mine.body.entities.map((c: { name: string }) => c.name)).not.toContain('List A');
  });

  it('searches messages by address, status, direction and time range, paged, newest first', async () => {
    const other = await startService();
    const before = new Date().toISOString();
    const a = await other.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(other, { subject: 'To Ann 1', toAddresses: [{ email: 'ann@example.com' }] }) });
    await other.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(other, { subject: 'To Bob', toAddresses: [{ email: 'bob@example.com' }] }) });
    await other.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(other, { subject: 'To Ann 2', toAddresses: [{ email: 'Ann@Example.com' }] }) });
    const search = async (q: string) => other.api('GET', `/api/v2/conversations/emails/messages/search?${q}`);
    const ann = await search('address=ann@example.com');
    expect(ann.status).toBe(200);
    expect(ann.body.entities.map((m: { subject: string }) => m.subject)).toEqual(['To Ann 2', 'To Ann 1']);
    expect(ann.body.entities[1]).toMatchObject({ id: a.body.id, conversationId: a.body.conversationId, direction: 'outbound' });
    const paged = await search('address=ANN@example.com&pageSize=1&pageNumber=2');
    expect(paged.body).toMatchObject({ total: 2, pageCount: 2, selfUri: '/api/v2/conversations/emails/messages/search?address=ANN%40example.com&pageNumber=2&pageSize=1' });
    expect(paged.body.entities.map((m: { subject: string }) => m.subject)).toEqual(['To Ann 1']);
    await waitFor(async () => ((await search('status=sent')).body.total === 3 ? true : undefined), 10_000, 'three sent');
    expect((await search('status=queued')).body.total).toBe(0);
    expect((await search('direction=inbound')).body.total).toBe(0);
    expect((await search('direction=outbound&address=bob@example.com')).body.entities.map((m: { subject: string }) => m.subject)).toEqual(['To Bob']);
    const after = new Date(Date.now() + 1000).toISOString();
    expect((await search(`interval=${before}/${after}`)).body.total).toBe(3);
    expect((await search(`interval=2020-01-01T00:00:00Z/${before}`)).body.total).toBe(0);
    for (const [q, field] of [
      ['interval=yesterday', 'interval'],
      [`interval=${after}/${before}`, 'interval'],
      ['status=lost', 'status'],
      ['direction=sideways', 'direction'],
      ['pageSize=101', 'pageSize'],
    ]) {
      const bad = await search(q!);
      expect(bad.status, q).toBe(400);
      expect(bad.body.details[0].fieldName, q).toBe(field);
    }
  });

  it('needs conversation:email:view (or a send permission) to list or search', async () => {
    const client = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: 'queues only', permissions: ['routing:queue:view'] } });
    const token = await svc.token(client.body.id, client.body.secret);
    for (const path of ['/api/v2/conversations/emails', '/api/v2/conversations/emails/messages/search?address=a@example.com']) {
      const res = await svc.api('GET', path, { token });
      expect(res.status, path).toBe(403);
    }
  });
});

describe('administration routes', () => {
  it('manages queues, inbound domains with routes, and sender domains', async () => {
    const q = await svc.api('POST', '/api/v2/routing/queues', { body: { name: 'Billing' } });
    expect(q.status).toBe(200);
    expect((await svc.api('POST', '/api/v2/routing/queues', { body: { name: 'Billing' } })).status).toBe(409);
    const d = await svc.api('POST', '/api/v2/routing/email/domains', { body: { id: 'Support.Example.COM' } });
    expect(d.body).toMatchObject({ id: 'support.example.com', verificationStatus: 'PENDING' });
    await svc.verifyInboundDomain('support.example.com');
    const route = await svc.api('POST', '/api/v2/routing/email/domains/support.example.com/routes', { body: { pattern: 'billing', queue: { id: q.body.id }, priority: 5 } });
    expect(route.status).toBe(200);
    expect(route.body).toMatchObject({ pattern: 'billing', queue: { id: q.body.id }, priority: 5 });
    const badQueue = await svc.api('POST', '/api/v2/routing/email/domains/support.example.com/routes', { body: { pattern: 'x', queue: { id: 'nope' } } });
    expect(badQueue.status).toBe(400);
    expect(badQueue.body.details[0].fieldName).toBe('queue.id');
    // A queue that a route points to, and a domain with routes, cannot be deleted.
    expect((await svc.api('DELETE', `/api/v2/routing/queues/${q.body.id}`)).status).toBe(409);
    expect((await svc.api('DELETE', '/api/v2/routing/email/domains/support.example.com')).status).toBe(409);
    expect((await svc.api('DELETE', `/api/v2/routing/email/domains/support.example.com/routes/${route.body.id}`)).status).toBe(204);
    expect((await svc.api('DELETE', '/api/v2/routing/email/domains/support.example.com')).status).toBe(204);
    expect((await svc.api('DELETE', `/api/v2/routing/queues/${q.body.id}`)).status).toBe(204);

    const s = await svc.api('POST', '/api/v2/routing/email/outbound/domains', { body: { id: 'mail.shop.example.com', name: 'Shop mail' } });
    expect(s.body).toMatchObject({ id: 'mail.shop.example.com', name: 'Shop mail', status: 'PENDING' });
    expect((await svc.api('POST', '/api/v2/routing/email/outbound/domains', { body: { id: 'not a domain' } })).body.details[0].fieldName).toBe('id');
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { fromAddress: { email: 'news@mail.shop.example.com' } }) });
    expect(sent.status).toBe(202);
  });
});

describe('operations', () => {
  it('answers health, readiness and Prometheus metrics', async () => {
    expect(await (await fetch(`${svc.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${svc.url}/readyz`)).json()).toEqual({ status: 'ready' });
    await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc) });
    await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [] }) });
    const res = await fetch(`${svc.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^threadline_sends_accepted_total [1-9]/m);
    expect(text).toMatch(/^threadline_sends_rejected_total\{status="400"\} [1-9]/m);
    expect(text).toMatch(/^threadline_send_accept_seconds_bucket\{le="0.1"\} [1-9]/m);
    expect(text).toMatch(/^threadline_outbox_depth \d+/m);
    expect(text).toMatch(/^threadline_deliveries_total\{outcome="sent"\} [1-9]/m);
  });

  it('answers / with where to go: the reference, the OpenAPI document and the console', async () => {
    const html = await fetch(`${svc.url}/`, { headers: { accept: 'text/html' } });
    expect(html.status).toBe(200);
    const page = await html.text();
    for (const link of ['href="/docs"', 'href="/openapi.json"', 'href="/console"']) expect(page).toContain(link);
    const json = await fetch(`${svc.url}/`, { headers: { accept: 'application/json' } });
    expect(await json.json()).toMatchObject({ docs: '/docs', openapi: '/openapi.json', console: '/console' });
  });

  it('answers unknown routes with the Genesys error body and the correlation id', async () => {
    const res = await fetch(`${svc.url}/no/such/route`);
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(['code', 'contextId', 'details', 'errors', 'message', 'messageParams', 'status']);
    expect(res.headers.get('inin-correlation-id')).toBe(body.contextId);
  });

  it('answers an internal fault with 500 and the Genesys body, never the internal message', async () => {
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc) });
    const { sql } = await import('kysely');
    // A real fault inside the service: the table the read needs is gone.
    await svc.running.services.batcher.run((trx) => sql`alter table conversations rename to conversations_away`.execute(trx));
    try {
      const res = await svc.api('GET', `/api/v2/conversations/emails/${sent.body.conversationId}`);
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ status: 500, code: 'internal.server.error', contextId: expect.any(String) });
      expect(JSON.stringify(res.body)).not.toMatch(/conversations|table|sqlite|relation/i);
    } finally {
      await svc.running.services.batcher.run((trx) => sql`alter table conversations_away rename to conversations`.execute(trx));
    }
    expect((await svc.api('GET', `/api/v2/conversations/emails/${sent.body.conversationId}`)).status).toBe(200);
  });

  it('describes every route in /openapi.json', async () => {
    const doc = await (await fetch(`${svc.url}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/oauth/token',
      '/api/v2/conversations/emails/agentless',
      '/api/v2/conversations/emails/{conversationId}',
      '/api/v2/conversations/emails/{conversationId}/messages',
      '/api/v2/conversations/emails/{conversationId}/messages/{messageId}',
      '/api/v2/routing/email/outbound/domains',
      '/api/v2/routing/email/outbound/domains/{domainId}',
      '/api/v2/routing/email/domains',
      '/api/v2/routing/email/domains/{domainName}/routes',
      '/api/v2/routing/queues',
      '/api/v2/routing/queues/{queueId}',
      '/api/v2/oauth/clients',
      '/api/v2/organizations/me',
      '/api/v2/conversations/emails',
      '/api/v2/conversations/emails/messages/search',
      '/',
      '/healthz',
      '/readyz',
      '/metrics',
    ]) {
      expect(paths, p).toContain(p);
    }
    expect(doc.components.schemas.AgentlessEmailSendRequestDto.properties).toHaveProperty('toAddresses');
  });

  it('renders the interactive reference at /docs in a real browser, within its content security policy', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      // Whatever the policy refuses is reported to the page as an event.
      await page.addInitScript(() => {
        const w = window as unknown as { refused: string[] };
        w.refused = [];
        document.addEventListener('securitypolicyviolation', (e) => w.refused.push(`${e.effectiveDirective} ${e.blockedURI}`));
      });
      await page.goto(`${svc.url}/docs`);
      await page.getByText('/api/v2/conversations/emails/agentless', { exact: true }).first().waitFor({ timeout: 20_000 });
      expect(await page.title()).toBe('threadline API');
      expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
      await page.locator('.opblock-summary').first().click();
      await page.locator('.opblock-body').first().waitFor({ timeout: 10_000 });
      // A token given to the Authorize dialog is not written to storage that outlives the page.
      await page.locator('.btn.authorize').first().click();
      await page.getByLabel('auth-bearer-value').fill('tok-secret-123');
      await page.locator('.modal-btn.auth.authorize').click();
      await page.locator('.modal-btn.auth', { hasText: 'Logout' }).waitFor({ timeout: 10_000 });
      expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).not.toContain('tok-secret-123');
      expect(await page.evaluate(() => (window as unknown as { refused: string[] }).refused)).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('serves /docs with a strict content security policy, no framing and no MIME sniffing', async () => {
    for (const p of ['/docs', '/docs/docs.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']) {
      const res = await fetch(`${svc.url}${p}`);
      expect(res.status, p).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, p).toContain("default-src 'none'");
      expect(csp, p).toContain("script-src 'self'");
      expect(csp, p).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
      expect(csp, p).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options'), p).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), p).toBe('nosniff');
    }
    const page = await (await fetch(`${svc.url}/docs`)).text();
    // Every script is a file from this server: nothing inline for the policy to allow.
    expect(page.match(/<script[^>]*>[^<]+<\/script>/g)).toBeNull();
  });
});
