import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { startSink } from '../helpers/smtp-sink.js';

// A relay that is down (nothing listens on its port) and then comes back. The retry schedule is
// ten minutes, so only the probe of the relay explains a delivery within seconds of its return.

async function statusOf(svc: TestService, sent: { conversationId: string; id: string }) {
  return (await svc.api('GET', `/api/v2/conversations/emails/${sent.conversationId}/messages/${sent.id}`)).body.deliveryStatus;
}

describe('a relay that comes back', () => {
  it('is used for the waiting messages within seconds, not after the retry delay, and sends each once', async () => {
    const port = await freePort();
    const svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${port}`, THREADLINE_RETRY_SCHEDULE: '10m,10m' });
    const sent: { conversationId: string; id: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: `Waiting ${i}`, toAddresses: [{ email: `customer${i}@example.com` }] }) });
      expect(res.status).toBe(202);
      sent.push(res.body);
    }
    const deferred = await waitFor(
      async () => {
        const statuses = await Promise.all(sent.map((s) => statusOf(svc, s)));
        return statuses.every((s) => s.status === 'deferred') ? statuses : undefined;
      },
      30_000,
      'every message deferred while the relay is down',
    );
    expect(deferred[0].smtpResponse).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);

    const sink = await startSink({ port });
    const back = Date.now();
    await waitFor(() => (sink.messages.length >= sent.length ? true : undefined), 20_000, 'the waiting messages at the relay');
    const recoveryMs = Date.now() - back;
    const statuses = await waitFor(
      async () => {
        const all = await Promise.all(sent.map((s) => statusOf(svc, s)));
        return all.every((s) => s.status === 'sent') ? all : undefined;
      },
      10_000,
      'every message sent',
    );
    console.log(`relay back: ${sent.length} waiting messages delivered ${recoveryMs} ms after the relay returned (retry delay 600 s)`);
    expect(recoveryMs).toBeLessThan(10_000);
    expect(statuses.map((s) => s.attempts)).toEqual(sent.map(() => 2));
    const subjects = sink.messages.map((m) => /^Subject: (.*)$/m.exec(m.raw.toString('latin1'))?.[1]?.trim()).sort();
    expect(subjects).toEqual(sent.map((_, i) => `Waiting ${i}`));
  });
});
