import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// Every message threadline sends goes through one pipeline (src/send/outbound.ts): an agent's
// answer meets the same checks as an agentless send, and a message can be queued for later.

const clock = manualClock(Date.UTC(2026, 11, 1, 12));
let svc: TestService;
let sink: Awaited<ReturnType<typeof startSink>>;

beforeAll(async () => {
  sink = await startSink();
  svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}` }, { clock });
});

const statusOf = async (conversationId: string, id: string) => (await svc.api('GET', `/api/v2/conversations/emails/${conversationId}/messages/${id}`)).body;
const sentNow = (conversationId: string, id: string) =>
  waitFor(async () => ((await statusOf(conversationId, id)).deliveryStatus.status === 'sent' ? true : undefined), 10_000, `message ${id} sent`);

/** A conversation the customer started by writing to the default route, with this subject. */
async function customerConversation(subject: string): Promise<string> {
  const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: 'Welcome', toAddresses: [{ email: 'pat@example.com' }] }) });
  const raw = `From: Pat <pat@example.com>\r\nTo: ${sent.body.replyToAddress.email}\r\nSubject: ${subject}\r\nMessage-ID: <long-${Date.now()}@example.com>\r\nDate: Tue, 01 Dec 2026 12:00:00 +0000\r\n\r\nHello\r\n`;
  expect(await deliver(svc.running.smtpPort, { from: 'pat@example.com', to: [sent.body.replyToAddress.email], raw })).toMatch(/^250/);
  return sent.body.conversationId as string;
}

describe('the outbound pipeline', () => {
  it("refuses an agent's answer on the same grounds and in the same words as a send", async () => {
    const conversationId = await customerConversation('Order question');
    const long = 'x'.repeat(401);
    const send = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: long }) });
    const answer = await svc.api('POST', `/api/v2/conversations/emails/${conversationId}/messages`, { body: { textBody: 'Hi', subject: long } });
    expect([send.status, answer.status]).toEqual([400, 400]);
    expect(answer.body.details).toEqual(send.body.details);
    expect(answer.body.message).toBe(send.body.message);

    const badFrom = await svc.api('POST', `/api/v2/conversations/emails/${conversationId}/messages`, { body: { textBody: 'Hi', from: { email: 'agent@@example.com' } } });
    expect(badFrom.status).toBe(400);
    expect(badFrom.body.details[0].fieldName).toBe('from.email');
  });

  it('answers a customer whose subject is longer than a send may be, its Re: subject cut to fit', async () => {
    const subject = `About my order ${'and more '.repeat(60)}`.trim();
    const conversationId = await customerConversation(subject);
    const answer = await svc.api('POST', `/api/v2/conversations/emails/${conversationId}/messages`, { body: { textBody: 'We are on it.' } });
    expect(answer.status).toBe(202);
    expect([...answer.body.subject].length).toBe(400);
    expect(answer.body.subject.startsWith('Re: About my order and more')).toBe(true);
  });

  it('queues a message for a later time: it leaves only once that time has come', async () => {
    const later = clock.now() + 3_600_000;
    const queued = await svc.running.services.outbound.send(svc.init.orgId, (_trx, submit) =>
      submit({
        senderType: 'Outbound',
        conversation: { send: undefined },
        from: { email: `orders@${svc.init.senderDomain}` },
        to: { email: 'later@example.com' },
        replyTo: null,
        subject: 'Your appointment tomorrow',
        text: 'See you at ten.',
        html: null,
        at: later,
        fields: { from: 'from', to: 'to' },
      }),
    );
    // A send made now is delivered; once it is, the worker has looked at what was due, and the
    // scheduled one was not.
    const now = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc) });
    await sentNow(now.body.conversationId, now.body.id);
    expect((await statusOf(queued.conversationId, queued.id)).deliveryStatus.status).toBe('queued');
    expect(sink.messages.some((m) => m.to.includes('later@example.com'))).toBe(false);

    clock.advance(3_600_000);
    await sentNow(queued.conversationId, queued.id);
    expect(sink.messages.filter((m) => m.to.includes('later@example.com'))).toHaveLength(1);
  });
});
