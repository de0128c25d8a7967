import fs from 'node:fs';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { deriveTokenKeys, parseReplyAddress } from '../../src/mail/tokens.js';
import { threadIndexRoot } from '../../src/threading/thread-index.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// An agent answers a customer who wrote from Outlook; the answer must thread in the customer's
// client (In-Reply-To, References, Re:, Thread-Index) and the customer's next reply must thread
// back into the same conversation.

const keys = deriveTokenKeys(Buffer.from('test-secret-0123456789abcdef0123456789abcdef'));
let svc: TestService;
let sink: Awaited<ReturnType<typeof startSink>>;

beforeAll(async () => {
  sink = await startSink();
  svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}` });
});

const sunk = (messageId: string) =>
  waitFor(
    () =>
      sink.messages.find((m) =>
        m.raw
          .toString('latin1')
          .replace(/\r\n\s+/g, ' ')
          .includes(messageId),
      ),
    10_000,
    `delivery of ${messageId}`,
  );

describe('an agent reply', () => {
  it('carries In-Reply-To, References, one Re:, a child Thread-Index, Thread-Topic and a reply token', async () => {
    // A notification, then the customer's Outlook reply (Thread-Index, no References).
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: 'Test from Outlook', toAddresses: [{ email: 'pat@example.com' }] }) });
    const outlook = withHeaders(fs.readFileSync('fixtures/replies/inbucket__outlook.raw.eml'), {
      From: 'Pat Customer <pat@example.com>',
      To: sent.body.replyToAddress.email,
      Subject: 'RE: Test from Outlook',
      Date: 'Mon, 16 Nov 2026 10:00:00 +0000',
      'Message-ID': '<outlook-1@exch.example.com>',
      References: '<earlier@exch.example.com>',
    });
    expect(await deliver(svc.running.smtpPort, { from: 'pat@example.com', to: [sent.body.replyToAddress.email], raw: outlook })).toMatch(/^250/);

    const res = await svc.api('POST', `/api/v2/conversations/emails/${sent.body.conversationId}/messages`, { body: { textBody: 'Thanks Pat, it ships tomorrow.' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ senderType: 'Agent', subject: 'RE: Test from Outlook', to: [{ email: 'pat@example.com', name: 'Pat Customer' }] });
    const raw = (await sunk(res.body.messageId.slice(1, -1))).raw;
    const mail = await simpleParser(raw);
    expect(mail.inReplyTo).toBe('<outlook-1@exch.example.com>');
    expect(mail.references).toEqual(['<earlier@exch.example.com>', '<outlook-1@exch.example.com>']);
    expect(mail.subject).toBe('RE: Test from Outlook');
    const customerIndex = 'AdDeqI993CvUm800TamFq90sKu975w==';
    const ours = mail.headers.get('thread-index') as string;
    expect(Buffer.from(ours, 'base64').length).toBe(Buffer.from(customerIndex, 'base64').length + 5);
    expect(threadIndexRoot(ours)).toBe(threadIndexRoot(customerIndex));
    expect(mail.headers.get('thread-topic')).toBe('Test from Outlook');
    expect(mail.headers.has('auto-submitted')).toBe(false);
    expect(parseReplyAddress(keys, mail.replyTo!.value[0]!.address!)).toBe(res.body.id);

    // Outlook answers with only the Thread-Index (it dropped the token by replying to From).
    const next = withHeaders(outlook, {
      To: 'support@replies.localhost',
      'Message-ID': '<outlook-2@exch.example.com>',
      References: null,
      'In-Reply-To': null,
      'Thread-Index': Buffer.concat([Buffer.from(ours, 'base64'), Buffer.alloc(5, 1)]).toString('base64'),
    });
    const r = await deliver(svc.running.smtpPort, { from: 'pat@example.com', to: ['support@replies.localhost'], raw: next });
    const row = await svc.running.services.conversations.findMessageById(r.split(' ').at(-1)!);
    expect(row!.conversation_id).toBe(sent.body.conversationId);
    const why = await svc.running.services.threading.explain(row!.org_id, row!.id);
    expect(why.signal).toBe('thread-index');
  });

  it('does not stack prefixes, and answers a conversation with no customer message yet', async () => {
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: 'Re: Re: Case 9' }) });
    const res = await svc.api('POST', `/api/v2/conversations/emails/${sent.body.conversationId}/messages`, { body: { htmlBody: '<p>Update</p>' } });
    expect(res.status).toBe(202);
    expect(res.body.subject).toBe('Re: Re: Case 9');
    expect(res.body.to[0].email).toBe('customer@example.com');
  });

  it("answers with the message as committed (status and history agree) and keeps the customer's display name", async () => {
    // Sent to "Pat Customer"; the customer's reply has no display name, as many clients send it.
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: 'Order 55' }) });
    const to = sent.body.replyToAddress.email as string;
    const bare = `From: customer@example.com\r\nTo: ${to}\r\nSubject: Re: Order 55\r\nMessage-ID: <bare-55@example.com>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nWhere is it?\r\n`;
    expect(await deliver(svc.running.smtpPort, { from: 'customer@example.com', to: [to], raw: bare })).toMatch(/^250/);
    // Several answers in a row: the delivery worker starts on each as soon as it is committed.
    for (let i = 0; i < 5; i++) {
      const res = await svc.api('POST', `/api/v2/conversations/emails/${sent.body.conversationId}/messages`, { body: { textBody: `Answer ${i}` } });
      expect(res.status).toBe(202);
      expect(res.body.to).toEqual([{ email: 'customer@example.com', name: 'Pat Customer' }]);
      expect(res.body.deliveryStatus.status).toBe('queued');
      expect(res.body.statusHistory.map((h: { status: string }) => h.status)).toEqual(['queued']);
    }
    // The customer sent one message; ours (one send, five answers) are not theirs.
    const conv = await svc.api('GET', `/api/v2/conversations/emails/${sent.body.conversationId}`);
    expect(conv.body.participants[0]).toMatchObject({ purpose: 'customer', address: 'customer@example.com', messagesSent: 1 });
  });

  it('refuses an empty body, an unknown conversation, and a sender domain that is not ours', async () => {
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc) });
    const base = `/api/v2/conversations/emails/${sent.body.conversationId}/messages`;
    expect((await svc.api('POST', base, { body: {} })).body.details[0].fieldName).toBe('textBody');
    expect((await svc.api('POST', '/api/v2/conversations/emails/01a20000-0000-7000-8000-000000000000/messages', { body: { textBody: 'x' } })).status).toBe(404);
    const foreign = await svc.api('POST', base, { body: { textBody: 'x', from: { email: 'me@gmail.example.com' } } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.details[0].fieldName).toBe('from.email');
  });
});

describe("agent replies and the organization's send limit", () => {
  // On a minute boundary, so the sliding window's arithmetic stays simple.
  const clock = manualClock(Date.UTC(2026, 10, 22, 10, 0, 0));
  let limited: TestService;
  beforeAll(async () => {
    limited = await startService({ THREADLINE_RATE_LIMIT_PER_MINUTE: '3' }, { clock });
  });

  it('counts agent replies with agentless sends, answering 429 with Retry-After past the limit', async () => {
    const sent = await limited.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(limited) });
    expect(sent.status).toBe(202);
    const replies = `/api/v2/conversations/emails/${sent.body.conversationId}/messages`;
    for (const n of [2, 3]) expect((await limited.api('POST', replies, { body: { textBody: `Answer ${n}` } })).status).toBe(202);

    const over = await limited.api('POST', replies, { body: { textBody: 'One too many' } });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ status: 429, code: 'too.many.requests.retry.after' });
    const retry = Number(over.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    // The replies used up the allowance agentless sends draw on too.
    expect((await limited.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(limited) })).status).toBe(429);
    // A refused reply is neither stored nor sent.
    const messages = await limited.api('GET', replies);
    expect(messages.body.entities.map((m: { textBody?: string }) => m.textBody)).not.toContain('One too many');
    expect(messages.body.entities).toHaveLength(3);

    clock.advance(retry * 1000);
    expect((await limited.api('POST', replies, { body: { textBody: 'Later' } })).status).toBe(202);
  });
});
