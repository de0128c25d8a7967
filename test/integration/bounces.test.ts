import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { verifyBounceAddress } from '../../src/mail/tokens.js';
import { dsn } from '../helpers/bounce-report.js';
import { eventsOf, sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// Bounces and complaints as a sending system meets them: every message leaves with its own
// signed return path; a refusal, a report or a complaint ends on the message and on the
// suppression list; nothing that names no message of ours is threaded or answered.

const clock = manualClock(Date.UTC(2026, 11, 1, 12));
let svc: TestService;
let sink: Awaited<ReturnType<typeof startSink>>;
const refusals = new Map<string, Array<[number, string]>>();

beforeAll(async () => {
  sink = await startSink({ onRcpt: (address) => refusals.get(address)?.shift() ?? null });
  svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}`, THREADLINE_RETRY_SCHEDULE: '1m' }, { clock });
});

const messageOf = async (sent: { conversationId: string; id: string }) => (await svc.api('GET', `/api/v2/conversations/emails/${sent.conversationId}/messages/${sent.id}`)).body;
const statusIs = (sent: { conversationId: string; id: string }, status: string) =>
  waitFor(
    async () => {
      const m = await messageOf(sent);
      return m.deliveryStatus.status === status ? m : undefined;
    },
    10_000,
    `message ${sent.id} ${status}`,
  );

/** Sends to `to`, waits for the relay to take it, and returns the send and its return path. */
async function sentTo(to: string) {
  const sent = (await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: to }] }) })).body;
  await statusIs(sent, 'sent');
  const returnPath =
    sink.messages.find((m) => m.to.includes(to) && m.raw.toString('latin1').includes(sent.id.replace(/-/g, '')))?.from ?? sink.messages.filter((m) => m.to.includes(to)).at(-1)!.from;
  return { sent, returnPath };
}

const metric = async (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(await (await fetch(`${svc.url}/metrics`)).text())?.[1] ?? 0);

describe('bounces and complaints', () => {
  it('sends every message from its own signed return path on the sender domain', async () => {
    const { sent, returnPath } = await sentTo('pat@example.com');
    expect(returnPath).toMatch(new RegExp(`^bounces\\+[0-9a-f-]+@${svc.init.senderDomain.replace(/\./g, '\\.')}$`));
    expect(verifyBounceAddress(svc.running.services.keys, returnPath)).toBe(sent.id);
  });

  it('refuses RCPT for a forged return path and for any other address at a sender domain', async () => {
    const { returnPath } = await sentTo('sam@example.com');
    const forged = returnPath.replace(/([0-9a-f])@/, (_, c: string) => `${c === '0' ? '1' : '0'}@`);
    const report = dsn({ to: forged, recipient: 'sam@example.com', status: '5.1.1', diagnostic: '550 5.1.1 no such user', original: '<x@example.com>' });
    expect(await deliver(svc.running.smtpPort, { from: '', to: [forged], raw: report })).toMatch(/^550 5\.1\.1/);
    expect(await deliver(svc.running.smtpPort, { from: '', to: [`orders@${svc.init.senderDomain}`], raw: report })).toMatch(/^550 5\.1\.1/);
    expect(await deliver(svc.running.smtpPort, { from: '', to: ['someone@elsewhere.example'], raw: report })).toMatch(/^550 5\.7\.1/);
  });

  it('ends a message the relay refuses for good as failed, with the bounce, and suppresses an unknown user', async () => {
    refusals.set('ghost@example.com', [[550, '5.1.1 <ghost@example.com>: Recipient address rejected: User unknown']]);
    const sent = (await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: 'ghost@example.com' }] }) })).body;
    const m = await statusIs(sent, 'failed');
    expect(m.bounce).toMatchObject({ type: 'hard', status: '5.1.1', action: 'failed', source: 'smtp', reason: 'userunknown' });
    expect(m.bounce.diagnostic).toContain('User unknown');
    expect((await svc.api('GET', '/api/v2/suppressions/ghost@example.com')).body).toMatchObject({ reason: 'hard-bounce', messageId: sent.id });
    expect((await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: 'ghost@example.com' }] }) })).body.code).toBe(
      'recipient.suppressed',
    );
  });

  it('ends a message whose retries ran out as failed with a soft bounce, and does not suppress on one', async () => {
    refusals.set('busy@example.com', [
      [452, '4.2.2 Mailbox full'],
      [452, '4.2.2 Mailbox full'],
    ]);
    const sent = (await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: 'busy@example.com' }] }) })).body;
    await statusIs(sent, 'deferred');
    clock.advance(60_000);
    const m = await statusIs(sent, 'failed');
    expect(m.bounce).toMatchObject({ type: 'soft', status: '4.2.2', action: 'failed', source: 'retries', reason: 'mailboxfull' });
    expect((await svc.api('GET', '/api/v2/suppressions/busy@example.com')).status).toBe(404);
  });

  it('applies an RFC 3464 report sent to the return path: bounced, with status, action, diagnostic and class; suppressed', async () => {
    const { sent, returnPath } = await sentTo('gone@example.com');
    const report = dsn({
      to: returnPath,
      recipient: 'gone@example.com',
      status: '5.1.1',
      diagnostic: '550 5.1.1 The email account that you tried to reach does not exist',
      original: '<whatever@example.com>',
    });
    const conversations = (await svc.api('GET', '/api/v2/conversations/emails?pageSize=100')).body.total;
    expect(await deliver(svc.running.smtpPort, { from: '', to: [returnPath], raw: report })).toMatch(/^250/);
    const m = await statusIs(sent, 'bounced');
    expect(m.bounce).toMatchObject({ type: 'hard', status: '5.1.1', action: 'failed', remoteMta: 'mail.example.com', source: 'dsn' });
    expect(m.bounce.diagnostic).toContain('does not exist');
    expect((await svc.api('GET', '/api/v2/suppressions/gone@example.com')).body.reason).toBe('hard-bounce');
    // On PostgreSQL an event shows once every older transaction has ended: waited for.
    const bouncedEvents = await eventsOf(svc, 'message.bounced', (e) => e.data.messageId === sent.id, 1);
    expect(bouncedEvents.filter((e: { data: { messageId: string } }) => e.data.messageId === sent.id)).toHaveLength(1);
    // Never threaded: no new conversation, nothing new on this one.
    expect((await svc.api('GET', '/api/v2/conversations/emails?pageSize=100')).body.total).toBe(conversations);
    expect((await svc.api('GET', `/api/v2/conversations/emails/${sent.conversationId}/messages`)).body.entities).toHaveLength(1);
  });

  it('applies an ARF complaint sent to the return path: complained, and the address suppressed', async () => {
    const { sent, returnPath } = await sentTo('angry@example.com');
    const arf = [
      'From: feedback@fbl.example.net',
      `To: ${returnPath}`,
      'Subject: Abuse report',
      'Date: Tue, 01 Dec 2026 12:05:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=feedback-report; boundary="f1"',
      '',
      '--f1',
      'Content-Type: text/plain',
      '',
      'This is an email abuse report.',
      '--f1',
      'Content-Type: message/feedback-report',
      '',
      'Feedback-Type: abuse',
      'User-Agent: ExampleFBL/1.0',
      'Version: 1',
      'Original-Rcpt-To: angry@example.com',
      '',
      '--f1',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: <${sent.id}@example.com>`,
      '',
      '--f1--',
      '',
    ].join('\r\n');
    expect(await deliver(svc.running.smtpPort, { from: '', to: [returnPath], raw: arf })).toMatch(/^250/);
    const m = await statusIs(sent, 'complained');
    expect(m.bounce).toMatchObject({ action: 'complained', source: 'arf', reason: 'abuse' });
    expect((await svc.api('GET', '/api/v2/suppressions/angry@example.com')).body.reason).toBe('complaint');
    const complaints = await eventsOf(svc, 'message.complained', (e) => e.data.messageId === sent.id, 1);
    expect(complaints.filter((e: { data: { messageId: string } }) => e.data.messageId === sent.id)).toHaveLength(1);
  });

  it('drops a report at an inbound address that names a Message-ID never ours: 250, counted, not threaded', async () => {
    const { sent } = await sentTo('lee@example.com');
    const before = await metric('threadline_reports_dropped_total');
    const conversations = (await svc.api('GET', '/api/v2/conversations/emails?pageSize=100')).body.total;
    const report = dsn({ to: sent.replyToAddress.email, recipient: 'lee@example.com', status: '5.1.1', diagnostic: '550 5.1.1 unknown', original: '<never-ours@elsewhere.example>' });
    expect(await deliver(svc.running.smtpPort, { from: '', to: [sent.replyToAddress.email], raw: report })).toMatch(/^250/);
    expect(await metric('threadline_reports_dropped_total')).toBe(before + 1);
    expect((await svc.api('GET', '/api/v2/conversations/emails?pageSize=100')).body.total).toBe(conversations);
    expect((await svc.api('GET', `/api/v2/conversations/emails/${sent.conversationId}/messages`)).body.entities).toHaveLength(1);
    expect((await messageOf(sent)).deliveryStatus.status).toBe('sent');
  });

  it('keeps an auto-reply sent to the return path on the conversation, never queued for an agent', async () => {
    const { sent, returnPath } = await sentTo('away@example.com');
    const queueId = (await svc.api('GET', '/api/v2/routing/queues')).body.entities[0].id as string;
    const waiting = async () => JSON.stringify((await svc.api('GET', `/api/v2/routing/queues/${queueId}/stats`)).body);
    const before = await waiting();
    const ooo = [
      'From: Alex Away <away@example.com>',
      `To: ${returnPath}`,
      'Subject: Out of office: Your order has shipped',
      'Auto-Submitted: auto-replied',
      'Message-ID: <ooo-1@example.com>',
      'Date: Tue, 01 Dec 2026 12:10:00 +0000',
      '',
      'I am away until Monday.',
      '',
    ].join('\r\n');
    expect(await deliver(svc.running.smtpPort, { from: '', to: [returnPath], raw: ooo })).toMatch(/^250/);
    const messages = (await svc.api('GET', `/api/v2/conversations/emails/${sent.conversationId}/messages`)).body.entities;
    expect(messages).toHaveLength(2);
    expect(messages.find((x: { direction: string }) => x.direction === 'inbound').inbound.kind).toBe('auto_reply');
    expect(await waiting()).toBe(before);
  });
});
