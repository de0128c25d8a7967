import { beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';

// The webhook API with the default SSRF rule (private targets refused), organization scoping
// and the webhooks:subscription:* permissions. Deliveries are in webhooks.test.ts.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});

describe('the URL', () => {
  it.each([
    ['http://127.0.0.1:8080/hooks', /127\.0\.0\.1 resolves to 127\.0\.0\.1/],
    ['http://localhost/hooks', /localhost resolves to (127\.0\.0\.1|::1)/],
    ['http://169.254.169.254/latest/meta-data', /169\.254\.169\.254/],
    ['http://10.0.0.5/', /10\.0\.0\.5/],
    ['http://[::1]/', /::1/],
    ['http://[::ffff:127.0.0.1]/', /::ffff:7f00:1/],
    ['http://[fd00:ec2::254]/', /fd00:ec2::254/],
    ['ftp://hooks.example.com/', /must be http or https, not ftp/],
    ['not a url', /is not an absolute URL/],
  ])('refuses %s with a 400 naming url', async (url, message) => {
    const res = await svc.api('POST', '/api/v2/webhooks', { body: { url } });
    expect(res.status).toBe(400);
    expect(res.body.details[0].fieldName).toBe('url');
    expect(res.body.message).toMatch(message);
  });

  it('refuses an unknown event type naming eventTypes', async () => {
    const res = await svc.api('POST', '/api/v2/webhooks', { body: { url: 'http://127.0.0.1/', eventTypes: ['message.exploded'] } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/eventTypes/);
  });
});
