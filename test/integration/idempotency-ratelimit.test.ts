import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { pool, sendBody, startService, type TestService } from '../helpers/service.js';

const PATH = '/api/v2/conversations/emails/agentless';

describe('Idempotency-Key', () => {
  const clock = manualClock(Date.UTC(2026, 10, 22, 9));
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({}, { clock });
  });

  it('replays the first response for the same key and body, without sending twice', async () => {
    const headers = { 'Idempotency-Key': 'order-1001-shipped' };
    const first = await svc.api('POST', PATH, { body: sendBody(svc), headers });
    const again = await svc.api('POST', PATH, { body: sendBody(svc), headers });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const listing = await svc.api('GET', `/api/v2/conversations/emails/${first.body.conversationId}/messages`);
    expect(listing.body.total).toBe(1);
  });

  it('answers 409 for the same key with a different body', async () => {
    const headers = { 'Idempotency-Key': 'order-1002' };
    expect((await svc.api('POST', PATH, { body: sendBody(svc), headers })).status).toBe(202);
    const res = await svc.api('POST', PATH, { body: sendBody(svc, { subject: 'Something else' }), headers });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('idempotency.key.reused');
    expect(res.body.details[0].fieldName).toBe('Idempotency-Key');
  });

  it('forgets a key after 24 hours', async () => {
    const headers = { 'Idempotency-Key': 'order-1003' };
    const first = await svc.api('POST', PATH, { body: sendBody(svc), headers });
    clock.advance(24 * 3600 * 1000 - 1000);
    expect((await svc.api('POST', PATH, { body: sendBody(svc), headers })).body.id).toBe(first.body.id);
    clock.advance(2000);
    // Tokens last a day too: take a new one.
    const later = await svc.api('POST', PATH, { body: sendBody(svc), headers, token: await svc.newToken() });
    expect(later.status).toBe(202);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('keeps keys apart between organizations', async () => {
    // Another organization's client using the same key gets its own send, not a replay.
    const headers = { 'Idempotency-Key': 'shared-key' };
    const mine = await svc.api('POST', PATH, { body: sendBody(svc), headers });
    const other = await svc.running.services.auth.createOrganization('Other');
    const client = await svc.running.services.auth.createClient(other.id, 'sender', ['conversation:agentlessEmail:send']);
    await svc.running.services.domains.createSenderDomain(other.id, 'mail.other.example.com');
    const theirToken = await svc.token(client.id, client.secret);
    const theirs = await svc.api('POST', PATH, { token: theirToken, headers, body: sendBody(svc, { fromAddress: { email: 'hi@mail.other.example.com' } }) });
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('refuses a malformed key', async () => {
    const res = await svc.api('POST', PATH, { body: sendBody(svc), headers: { 'Idempotency-Key': 'x'.repeat(256) }, token: await svc.newToken() });
    expect(res.status).toBe(400);
    expect(res.body.details[0].fieldName).toBe('Idempotency-Key');
  });
});

describe('per-organization rate limit', () => {
  // Start exactly on a minute boundary so the sliding-window arithmetic is easy to follow.
  const clock = manualClock(Date.UTC(2026, 10, 22, 10, 0, 0));
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({}, { clock });
  });

  it('allows 600 a minute by default, then answers 429 with Retry-After and the Genesys body', async () => {
    const org = await svc.api('GET', '/api/v2/organizations/me');
    expect(org.body.agentlessEmailRateLimitPerMinute).toBe(600);
    const results = await pool(600, 50, () => svc.api('POST', PATH, { body: sendBody(svc) }));
    expect(results.filter((r) => r.status === 202)).toHaveLength(600);
    const over = await svc.api('POST', PATH, { body: sendBody(svc) });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ status: 429, code: 'too.many.requests.retry.after', messageParams: {}, errors: [] });
    expect(over.body.contextId).toEqual(expect.any(String));
    const retry = Number(over.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    // 600 sent at the very start of a window: the first of them slides out 60.1 s later.
    expect(retry).toBe(61);

    // A refused send is not counted: still refused a second later, then allowed once the
    // window has slid far enough.
    clock.advance(1000);
    expect((await svc.api('POST', PATH, { body: sendBody(svc) })).status).toBe(429);
    clock.advance(retry * 1000);
    expect((await svc.api('POST', PATH, { body: sendBody(svc) })).status).toBe(202);
  });

  it('is configurable per organization (a 1200/minute tier)', async () => {
    clock.advance(5 * 60_000);
    const patched = await svc.api('PATCH', '/api/v2/organizations/me', { body: { agentlessEmailRateLimitPerMinute: 1200 } });
    expect(patched.body.agentlessEmailRateLimitPerMinute).toBe(1200);
    clock.advance(6000); // past the service's few-seconds cache of the limit
    const results = await pool(1201, 50, () => svc.api('POST', PATH, { body: sendBody(svc) }));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1200);
    expect(results.filter((r) => r.status === 429)).toHaveLength(1);
  });
});
