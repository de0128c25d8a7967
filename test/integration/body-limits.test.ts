import { beforeAll, describe, expect, it } from 'vitest';
import { bytes, rawRequest } from '../helpers/raw-http.js';
import { sendBody, startService, type TestService } from '../helpers/service.js';

// Every route reads its body with a bound, counting while it streams in, and refuses a caller
// without the permission before reading a byte. The uploads here are generated as they are
// written: a refused one stops long before its declared size.

const MB = 1024 * 1024;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
// What may be written before the refusal reaches the client: the limit plus socket buffers.
const CUT_OFF_WITHIN = 32 * MB;

let svc: TestService;
let admin: Record<string, string>;
beforeAll(async () => {
  svc = await startService();
  admin = { authorization: `Bearer ${await svc.token()}` };
});

const tooLarge = (res: { status: number; body: any }) => {
  expect(res.status).toBe(413);
  expect(res.body).toMatchObject({ status: 413, code: 'request.entity.too.large', contextId: expect.any(String), errors: [] });
};

describe('request body limits', () => {
  it('refuses a 600 MB form to /oauth/token at 16 KB, declared or chunked, without reading the rest', async () => {
    for (const contentLength of [600 * MB, undefined]) {
      const res = await rawRequest(svc.url, { method: 'POST', path: '/oauth/token', headers: FORM, contentLength, body: bytes(600 * MB) });
      tooLarge(res);
      expect(res.body.message).toContain('16384 bytes');
      expect(res.sent).toBeLessThan(CUT_OFF_WITHIN);
    }
    // A form within the limit still gets its token.
    const ok = await fetch(`${svc.url}/oauth/token`, {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: svc.init.clientId, client_secret: svc.init.clientSecret }),
    });
    expect(ok.status).toBe(200);
  });

  it('keeps /healthz answering while three huge uploads are refused', async () => {
    let uploading = true;
    const uploads = Promise.all([0, 1, 2].map(() => rawRequest(svc.url, { method: 'POST', path: '/oauth/token', headers: FORM, body: bytes(500 * MB) }))).finally(() => (uploading = false));
    let slowest = 0;
    let probes = 0;
    do {
      const started = performance.now();
      expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
      slowest = Math.max(slowest, performance.now() - started);
      probes++;
    } while (uploading);
    for (const res of await uploads) {
      tooLarge(res);
      expect(res.sent).toBeLessThan(CUT_OFF_WITHIN);
    }
    expect(probes).toBeGreaterThan(0);
    // Parsing one such form used to hold the event loop for seconds.
    expect(slowest).toBeLessThan(2000);
  });

  it('gives administrative JSON routes 64 KB: just under is taken, one byte over is refused, chunked too', async () => {
    const limit = 64 * 1024;
    const envelope = JSON.stringify({ name: 'Big description', description: '' });
    const fits = JSON.stringify({ name: 'Big description', description: 'd'.repeat(limit - envelope.length) });
    expect(Buffer.byteLength(fits)).toBe(limit);
    const taken = await svc.api('POST', '/api/v2/routing/queues', { body: fits });
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    const over = JSON.stringify({ name: 'Bigger description', description: 'd'.repeat(limit - envelope.length + 1) });
    tooLarge(await svc.api('POST', '/api/v2/routing/queues', { body: over }));
    tooLarge(await rawRequest(svc.url, { method: 'POST', path: '/api/v2/routing/queues', headers: { ...admin, ...JSON_TYPE }, body: [Buffer.from(over)] }));
  });

  it('gives the send route 8 MB, and cuts a 600 MB chunked send off early', async () => {
    const res = await rawRequest(svc.url, { method: 'POST', path: '/api/v2/conversations/emails/agentless', headers: { ...admin, ...JSON_TYPE }, body: bytes(600 * MB, '[') });
    tooLarge(res);
    expect(res.body.message).toContain(`${8 * MB} bytes`);
    expect(res.sent).toBeLessThan(CUT_OFF_WITHIN);
  });

  it('refuses JSON nested deeper than 32 levels before parsing it', async () => {
    const send = (text: string) => svc.api('POST', '/api/v2/conversations/emails/agentless', { body: text });
    const deep = await send('['.repeat(7 * MB));
    expect(deep.status).toBe(400);
    expect(deep.body.details[0].fieldName).toBe('body');
    expect(deep.body.message).toContain('deeper than 32 levels');
    // Brackets inside strings are text, not nesting.
    const inText = await send(JSON.stringify(sendBody(svc, { textBody: `${'['.repeat(100)} "quoted" \\ ${'{'.repeat(100)}` })));
    expect(inText.status, JSON.stringify(inText.body)).toBe(202);
  });

  it('refuses a caller without the permission before reading its body: 40 MB of [ to /routing/queues', async () => {
    const sender = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: 'sender only', permissions: ['conversation:agentlessEmail:send'] } });
    const token = await svc.token(sender.body.id, sender.body.secret);
    const res = await rawRequest(svc.url, { method: 'POST', path: '/api/v2/routing/queues', headers: { authorization: `Bearer ${token}`, ...JSON_TYPE }, body: bytes(40 * MB, '[') });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('missing.any.permissions');
    expect(res.sent).toBeLessThan(CUT_OFF_WITHIN);
    // No token at all: refused as early.
    const anonymous = await rawRequest(svc.url, { method: 'POST', path: '/api/v2/routing/queues', headers: JSON_TYPE, contentLength: 40 * MB, body: bytes(1024, '[') });
    expect(anonymous.status).toBe(401);
  });
});
