import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { deriveTokenKeys, parseMessageIdHeader, parseReplyAddress } from '../../src/mail/tokens.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { type SunkMessage, startSink } from '../helpers/smtp-sink.js';

const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
const keys = deriveTokenKeys(Buffer.from(SECRET));

async function statusOf(svc: TestService, sent: { conversationId: string; id: string }) {
  return (await svc.api('GET', `/api/v2/conversations/emails/${sent.conversationId}/messages/${sent.id}`)).body;
}

const sunkWith = (messages: SunkMessage[], messageId: string) =>
  messages.find((m) =>
    m.raw
      .toString('latin1')
      .replace(/\r\n\s+/g, ' ')
      .includes(messageId),
  );

describe('delivery through an SMTP relay', () => {
  let svc: TestService;
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
    svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}` });
  });

  it('delivers a proper MIME message with a signed Message-ID and reply token, and records each status', async () => {
    const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', {
      body: sendBody(svc, { htmlBody: '<p>Your parcel is <b>on its way</b>.</p>', subject: 'Bestellung versandt – Nr. 42' }),
    });
    expect(res.status).toBe(202);
    const m = await waitFor(
      async () => {
        const s = await statusOf(svc, res.body);
        return s.deliveryStatus.status === 'sent' ? s : undefined;
      },
      10_000,
      'status sent',
    );
    expect(m.statusHistory.map((h: { status: string }) => h.status)).toEqual(['queued', 'sending', 'sent']);
    expect(m.deliveryStatus.smtpResponse).toMatch(/^250/);
    expect(m.deliveryStatus.attempts).toBe(1);

    const sunk = sunkWith(sink.messages, m.messageId.slice(1, -1));
    expect(sunk).toBeDefined();
    expect(sunk!.to).toEqual(['customer@example.com']);
    // The envelope sender is the message's own return path on the sender domain (bounces.test.ts).
    expect(sunk!.from).toMatch(new RegExp(`^bounces\\+[0-9a-f-]+@${svc.init.senderDomain.replace(/\./g, '\\.')}$`));
    const lines = sunk!.raw.toString('latin1').split('\r\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(998);

    const parsed = await simpleParser(sunk!.raw);
    expect(parsed.subject).toBe('Bestellung versandt – Nr. 42');
    expect(parsed.text?.trim()).toBe('Your parcel is on its way.');
    expect(parsed.html).toContain('<b>on its way</b>');
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(parsed.from?.value[0]).toMatchObject({ address: `notifications@${svc.init.senderDomain}`, name: 'Example Shop' });

    // Both tokens verify with the service's key and point back at this message.
    expect(parsed.messageId).toMatch(new RegExp(`@${svc.init.senderDomain.replace(/\./g, '\\.')}>$`));
    expect(parseMessageIdHeader(keys, parsed.messageId!)).toBe(res.body.id);
    const replyTo = parsed.replyTo!.value[0]!.address!;
    expect(replyTo.endsWith(`@${svc.init.inboundDomain}`)).toBe(true);
    expect(parseReplyAddress(keys, replyTo)).toBe(res.body.id);
    // A tampered token does not verify.
    expect(
      parseReplyAddress(
        keys,
        replyTo.replace(/[0-9a-f](?=-)/, (c) => (c === '0' ? '1' : '0')),
      ),
    ).toBeNull();
  });

  it("keeps the caller's replyToAddress instead of adding a token", async () => {
    const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { replyToAddress: { email: 'help@example.com', name: 'Help desk' } }) });
    expect(res.body.replyToAddress).toEqual({ email: 'help@example.com', name: 'Help desk' });
    const m = await waitFor(async () => ((await statusOf(svc, res.body)).deliveryStatus.status === 'sent' ? statusOf(svc, res.body) : undefined));
    const parsed = await simpleParser(sunkWith(sink.messages, m.messageId.slice(1, -1))!.raw);
    expect(parsed.replyTo?.value[0]).toMatchObject({ address: 'help@example.com', name: 'Help desk' });
  });
});

describe('deferral, retry and failure', () => {
  const clock = manualClock(Date.UTC(2026, 10, 22, 12));
  let svc: TestService;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const refusals = new Map<string, Array<[number, string]>>();
  beforeAll(async () => {
    sink = await startSink({ onRcpt: (address) => refusals.get(address)?.shift() ?? null });
    svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}`, THREADLINE_RETRY_SCHEDULE: '1m,10m' }, { clock });
  });

  const waitStatus = (sent: { conversationId: string; id: string }, status: string, attempts: number) =>
    waitFor(
      async () => {
        const s = await statusOf(svc, sent);
        return s.deliveryStatus.status === status && s.deliveryStatus.attempts === attempts ? s : undefined;
      },
      10_000,
      `${status} after ${attempts} attempts`,
    );

  it('defers on a 4xx, retries on the schedule, then delivers', async () => {
    refusals.set('later@example.com', [[451, '4.3.0 Mailbox temporarily unavailable']]);
    const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: 'later@example.com' }] }) });
    const deferred = await waitStatus(res.body, 'deferred', 1);
    expect(deferred.deliveryStatus.smtpResponse).toMatch(/^451/);
    expect(deferred.statusHistory.at(-1).detail).toBe('next attempt in 60 s');

    clock.advance(59_000);
    // A message due now, sent after the clock moved: once it is delivered, the worker has
    // claimed what was due at this time, and the deferred one was not among it.
    const probe = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: 'probe@example.com' }] }) });
    await waitStatus(probe.body, 'sent', 1);
    expect((await statusOf(svc, res.body)).deliveryStatus.status).toBe('deferred');

    clock.advance(1_000);
    const sent = await waitStatus(res.body, 'sent', 2);
    expect(sent.statusHistory.map((h: { status: string }) => h.status)).toEqual(['queued', 'sending', 'deferred', 'sending', 'sent']);
  });

  it('fails at once on a 5xx', async () => {
    refusals.set('nobody@example.com', [[550, '5.1.1 No such user']]);
    const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: 'nobody@example.com' }] }) });
    const failed = await waitStatus(res.body, 'failed', 1);
    expect(failed.deliveryStatus.smtpResponse).toMatch(/^550 5\.1\.1/);
  });

  it('fails once the retry schedule is used up', async () => {
    refusals.set('full@example.com', [
      [452, '4.2.2 Mailbox full'],
      [452, '4.2.2 Mailbox full'],
      [452, '4.2.2 Mailbox full'],
    ]);
    const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: 'full@example.com' }] }) });
    await waitStatus(res.body, 'deferred', 1);
    clock.advance(60_000);
    await waitStatus(res.body, 'deferred', 2);
    clock.advance(600_000);
    const failed = await waitStatus(res.body, 'failed', 3);
    expect(failed.statusHistory.at(-1).detail).toBe('gave up after 3 attempts');
    expect(failed.deliveryStatus.smtpResponse).toMatch(/^452/);
  });
});

describe('capture mode', () => {
  it('stores the message as .eml under the data folder and serves it through the API', async () => {
    const svc = await startService();
    const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc) });
    const path = `/api/v2/conversations/emails/${res.body.conversationId}/messages/${res.body.id}/raw`;
    const raw = await waitFor(async () => {
      const r = await svc.api('GET', path);
      return r.status === 200 ? r : undefined;
    });
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    const parsed = await simpleParser(raw.body as string);
    expect(parsed.subject).toBe('Your order has shipped');
    // The file is written before the status is recorded: wait for the status too.
    const m = await waitFor(
      async () => {
        const s = await statusOf(svc, res.body);
        return s.deliveryStatus.status === 'sent' ? s : undefined;
      },
      10_000,
      'status sent',
    );
    expect(m.deliveryStatus).toMatchObject({ status: 'sent', smtpResponse: expect.stringMatching(/^250 captured/) });
  });
});
