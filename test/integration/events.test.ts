import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Agent, act, createAgent, pull, wrapupCode } from '../helpers/acd.js';
import { publishListed } from '../helpers/dns-server.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// The event log through the real service: each change of the contract's list appears once, as
// GET /api/v2/events shows it, with the ids it concerns. Mail leaves through a sink relay that
// refuses some recipients, replies come in over SMTP.

interface Event {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

let svc: TestService;
let agent: Agent;
let queueId: string;
const refusals = new Map<string, [number, string]>();
let seq = 0;

beforeAll(async () => {
  const sink = await startSink({ onRcpt: (address) => refusals.get(address) ?? null });
  // Relay mode verifies the sender domain at start (a domain.verification.changed); a deferral waits an hour.
  svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}`, THREADLINE_RETRY_SCHEDULE: '1h' });
  agent = await createAgent(svc);
  // Replies go to the default queue (init routes the inbound domain's every address there).
  queueId = svc.init.queueId;
  expect((await svc.api('POST', `/api/v2/routing/queues/${queueId}/members`, { body: [{ id: agent.id }] })).status).toBe(204);
});

/** Every event the organization has, following the cursor `limit` at a time. */
async function allEvents(token?: string, limit = 1000): Promise<Event[]> {
  const out: Event[] = [];
  let after = '';
  for (;;) {
    const res = await svc.api('GET', `/api/v2/events?limit=${limit}${after ? `&after=${after}` : ''}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body.entities);
    if (res.body.entities.length < limit) return out;
    after = res.body.nextCursor;
  }
}

const about = (events: Event[], key: string, id: string) => events.filter((e) => e.data[key] === id);

/**
 * Waits until the events about `id` are exactly `types`, in that order. Waits on PostgreSQL too:
 * an event shows once every older transaction of the cluster has ended (events.repo.ts).
 */
async function eventsAbout(key: string, id: string, types: string[]) {
  return waitFor(
    async () => {
      const mine = about(await allEvents(), key, id);
      return mine.map((e) => e.type).join() === types.join() ? mine : undefined;
    },
    10_000,
    `${types.join(', ')} for ${key} ${id}`,
  );
}

async function send(to: string) {
  const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: to, name: 'Pat' }] }) });
  expect(res.status).toBe(202);
  return { messageId: res.body.id as string, conversationId: res.body.conversationId as string, replyTo: res.body.replyToAddress.email as string };
}

/** A customer's reply (the Gmail fixture) to the send's reply address; `from`: several means an ambiguous author. */
async function reply(to: string, from = ['Pat <customer@example.com>']) {
  const raw = withHeaders(fs.readFileSync('fixtures/replies/talon__gmail.eml'), { From: null, To: to, 'Message-ID': `<events-${++seq}@mail.example.net>` });
  const answer = await deliver(svc.running.smtpPort, { from: 'customer@example.com', to: [to], raw: `${from.map((f) => `From: ${f}\r\n`).join('')}${raw}` });
  expect(answer).toMatch(/^250/);
}

describe('each change is one event', () => {
  it('a send: queued, then sent, naming the message and its conversation', async () => {
    const m = await send('customer@example.com');
    const [queued, sent] = await eventsAbout('messageId', m.messageId, ['message.queued', 'message.sent']);
    expect(queued).toMatchObject({ data: { messageId: m.messageId, conversationId: m.conversationId } });
    expect(sent!.data).toMatchObject({ conversationId: m.conversationId, attempts: 1, smtpResponse: expect.stringMatching(/^250/) });
    expect(Date.parse(sent!.timestamp)).toBeGreaterThanOrEqual(Date.parse(queued!.timestamp));
    expect(new Set([queued!.id, sent!.id]).size).toBe(2);
  });

  it('a 4xx is deferred, a 5xx failed', async () => {
    refusals.set('later@example.com', [451, '4.3.0 try later']);
    refusals.set('nobody@example.com', [550, '5.1.1 No such user']);
    const later = await send('later@example.com');
    const nobody = await send('nobody@example.com');
    const [, deferred] = await eventsAbout('messageId', later.messageId, ['message.queued', 'message.deferred']);
    expect(deferred!.data).toMatchObject({ conversationId: later.conversationId, smtpResponse: expect.stringMatching(/^451/), detail: 'next attempt in 3600 s' });
    // An unknown user (5.1.1) is a hard bounce: the address is suppressed, naming this message.
    const [, failed, suppressed] = await eventsAbout('messageId', nobody.messageId, ['message.queued', 'message.failed', 'suppression.added']);
    expect(failed!.data).toMatchObject({ conversationId: nobody.conversationId, smtpResponse: expect.stringMatching(/^550/) });
    expect(suppressed!.data).toMatchObject({ email: 'nobody@example.com', reason: 'hard-bounce' });
  });

  it('a reply: received and a work item created; pulled: assigned; declined: requeued; completed', async () => {
    const m = await send('customer@example.com');
    await reply(m.replyTo);
    const inConversation = await eventsAbout('conversationId', m.conversationId, ['message.queued', 'message.sent', 'inbound.received', 'workitem.created']);
    const [received, created] = inConversation.slice(2);
    expect(received!.data.messageId).toEqual(created!.data.messageId);
    expect(created!.data).toMatchObject({ queueId, workItemId: expect.any(String) });
    const workItemId = created!.data.workItemId as string;

    const first = await pull(svc, agent, queueId);
    expect(first.body.id).toBe(workItemId);
    expect((await act(svc, agent, workItemId, 'decline')).status).toBe(200);
    const other = await createAgent(svc);
    await svc.api('POST', `/api/v2/routing/queues/${queueId}/members`, { body: [{ id: other.id }] });
    expect((await pull(svc, other, queueId)).body.id).toBe(workItemId);
    const resolved = await wrapupCode(svc, 'resolved', [queueId]);
    expect((await act(svc, other, workItemId, 'complete', { wrapupCode: resolved })).status).toBe(200);
    const lifecycle = await eventsAbout('workItemId', workItemId, ['workitem.created', 'workitem.assigned', 'workitem.requeued', 'workitem.assigned', 'workitem.completed']);
    expect(lifecycle.map((e) => e.data.agentId)).toEqual([undefined, agent.id, agent.id, other.id, other.id]);
    expect(lifecycle[2]!.data).toMatchObject({ reason: 'declined', queueId });
    expect(lifecycle[4]!.data).toMatchObject({ conversationId: m.conversationId, wrapupCode: resolved });
  });

  it('a reply whose author is ambiguous: quarantined, nothing received', async () => {
    const m = await send('customer@example.com');
    await reply(m.replyTo, ['Pat <customer@example.com>', 'Mallory <mallory@example.net>']);
    const [held] = await waitFor(async () => {
      const e = about(await allEvents(), 'conversationId', m.conversationId).filter((x) => x.type.startsWith('inbound.'));
      return e.length > 0 ? e : undefined;
    });
    expect(held).toMatchObject({ type: 'inbound.quarantined', data: { conversationId: m.conversationId, quarantineId: expect.any(String) } });
    const entry = await svc.api('GET', `/api/v2/routing/email/quarantine/${held!.data.quarantineId}`);
    expect(entry.body.conversationId).toBe(m.conversationId);
  });

  it('domain verification: the sender domain verified at start, an inbound domain once it proves control', async () => {
    const [sender] = await eventsAbout('domain', svc.init.senderDomain, ['domain.verification.changed']);
    expect(sender!.data).toMatchObject({ kind: 'sender', from: 'PENDING', to: 'VERIFIED' });

    const claimed = await svc.api('POST', '/api/v2/routing/email/domains', { body: { id: 'help.example.com' } });
    expect(claimed.status).toBe(200);
    // Checked before its record is published: still PENDING, no change to tell.
    expect((await svc.api('PUT', '/api/v2/routing/email/domains/help.example.com/verification')).body.verificationStatus).toBe('PENDING');
    publishListed(svc.dns.zone, claimed.body.verificationRecord);
    expect((await svc.api('PUT', '/api/v2/routing/email/domains/help.example.com/verification')).body.verificationStatus).toBe('VERIFIED');
    const [inbound] = await eventsAbout('domain', 'help.example.com', ['domain.verification.changed']);
    expect(inbound!.data).toMatchObject({ kind: 'inbound', from: 'PENDING', to: 'VERIFIED' });
  });

  it('every event has its own id, and the log reads the same one page at a time as all at once', async () => {
    const whole = await allEvents();
    expect(new Set(whole.map((e) => e.id)).size).toBe(whole.length);
    // Read later, the log may have grown (on PostgreSQL an event shows once no older transaction is open).
    expect((await allEvents(undefined, 1)).slice(0, whole.length)).toEqual(whole);
  });
});
