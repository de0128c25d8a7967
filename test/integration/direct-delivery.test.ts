import { beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer } from '../helpers/dns-server.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { startSink } from '../helpers/smtp-sink.js';

// THREADLINE_OUTBOUND_URL=direct: the MX is looked up from a real DNS server on loopback (the
// one THREADLINE_DNS_SERVERS names), and the message goes to the SMTP server the MX points at.

let svc: TestService;
let sink: Awaited<ReturnType<typeof startSink>>;
let dns: Awaited<ReturnType<typeof startDnsServer>>;

beforeAll(async () => {
  sink = await startSink();
  dns = await startDnsServer({
    'shop.test': [{ type: 'MX', data: { preference: 10, exchange: 'mx1.shop.test' } }],
    'mx1.shop.test': [{ type: 'A', data: '127.0.0.1' }],
    'implicit.test': [{ type: 'A', data: '127.0.0.1' }],
    'nullmx.test': [{ type: 'MX', data: { preference: 0, exchange: '.' } }],
  });
  svc = await startService({ THREADLINE_OUTBOUND_URL: 'direct' }, { directPort: sink.port, dns });
});

const deliver = async (to: string) => {
  const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: to }] }) });
  expect(res.status).toBe(202);
  return waitFor(
    async () => {
      const m = (await svc.api('GET', `/api/v2/conversations/emails/${res.body.conversationId}/messages/${res.body.id}`)).body;
      return ['sent', 'failed', 'deferred'].includes(m.deliveryStatus.status) ? m : undefined;
    },
    15_000,
    `an outcome for ${to}`,
  );
};

describe('direct delivery', () => {
  it("delivers to the recipient domain's MX, found through the configured DNS server", async () => {
    const m = await deliver('pat@shop.test');
    expect(m.deliveryStatus.status).toBe('sent');
    expect(m.deliveryStatus.smtpResponse).toContain('(mx1.shop.test)');
    expect(dns.queries).toContain('MX shop.test');
    expect(sink.messages.some((s) => s.to.includes('pat@shop.test'))).toBe(true);
  });

  it('falls back to the domain itself when it has no MX (RFC 5321 implicit MX)', async () => {
    const m = await deliver('pat@implicit.test');
    expect(m.deliveryStatus.status).toBe('sent');
  });

  it('fails for good on a null MX and on a domain that does not exist', async () => {
    const nullMx = await deliver('pat@nullmx.test');
    expect(nullMx.deliveryStatus).toMatchObject({ status: 'failed', smtpResponse: expect.stringContaining('null MX') });
    const missing = await deliver('pat@missing.test');
    expect(missing.deliveryStatus).toMatchObject({ status: 'failed', smtpResponse: expect.stringContaining('does not exist') });
  });
});
