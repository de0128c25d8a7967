import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { sendBody, startService, type TestService } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';

// Replies built from real client messages (fixtures/replies, fixtures/threading_edge): each
// gets its threading headers pointed at a conversation of ours the way that client would.

const fx = (p: string) => fs.readFileSync(`fixtures/${p}`);
const clock = manualClock(Date.UTC(2026, 10, 1, 9));
let svc: TestService;
let seq = 0;

beforeAll(async () => {
  svc = await startService({}, { clock });
});

async function notify(subject = 'Your order 1001') {
  const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject }) });
  expect(sent.status).toBe(202);
  const m = await svc.api('GET', sent.body.selfUri);
  return { conversationId: sent.body.conversationId as string, id: sent.body.id as string, token: sent.body.replyToAddress.email as string, messageId: m.body.messageId as string };
}

/** Delivers a fixture with headers changed; resolves with the stored message's decision. */
async function receive(fixture: string, to: string, headers: Record<string, string | null>) {
  const raw = withHeaders(fx(fixture), { To: to, 'Message-ID': `<threading-${++seq}@client.example.com>`, ...headers });
  const reply = await deliver(svc.running.smtpPort, { from: 'customer@example.com', to: [to], raw });
  expect(reply).toMatch(/^250/);
  const id = reply.split(' ').at(-1)!;
  const row = await svc.running.services.conversations.findMessageById(id);
  const decision = await svc.running.services.threading.explain(row!.org_id, id);
  return { id, conversationId: row!.conversation_id, decision };
}

const queueStats = async () => (await svc.api('GET', `/api/v2/routing/queues/${svc.init.queueId}/stats`)).body;

describe('threading signals, strongest first', () => {
  it('Gmail without In-Reply-To or References: the reply token in the address', async () => {
    const n = await notify();
    const r = await receive('replies/talon__gmail.eml', n.token, { 'In-Reply-To': null, References: null });
    expect(r.conversationId).toBe(n.conversationId);
    expect(r.decision).toMatchObject({ signal: 'reply-token', outcome: 'threaded', matchedMessageId: n.id });
  });

  it('a reply to our plain address with In-Reply-To naming our Message-ID', async () => {
    const n = await notify();
    const r = await receive('replies/talon__gmail.eml', 'support@replies.localhost', { 'In-Reply-To': n.messageId, References: null });
    expect(r.conversationId).toBe(n.conversationId);
    expect(r.decision.signal).toBe('in-reply-to');
  });

  it('Apple Mail keeping only References (newest first wins; unknown ids are rejected, recorded)', async () => {
    const n = await notify();
    const r = await receive('replies/talon__apple_mail_2.eml', 'support@replies.localhost', {
      'In-Reply-To': '<unknown-parent@mail.gmail.com>',
      References: `<older-unknown@mail.gmail.com> ${n.messageId} <unknown-parent@mail.gmail.com>`,
    });
    expect(r.conversationId).toBe(n.conversationId);
    expect(r.decision.signal).toBe('references');
    expect(r.decision.candidates.map((c: { signal: string; outcome: string }) => `${c.signal}:${c.outcome}`)).toEqual([
      'in-reply-to:unknown',
      'references:matched',
      'references:not-considered',
    ]);
  });

  it('a References header with a broken entry still finds the valid one', async () => {
    const n = await notify();
    const r = await receive('threading_edge/mikel-mail__multiple_references_with_one_invalid.eml', 'support@replies.localhost', {
      References: `<foo@bar.net> ${n.messageId} <invalid.   \n something@bar.net>`,
    });
    expect(r.conversationId).toBe(n.conversationId);
  });

  it('an empty In-Reply-To starts a new conversation without trouble', async () => {
    const r = await receive('threading_edge/mikel-mail__empty_in_reply_to.eml', 'support@replies.localhost', {});
    expect(r.decision).toMatchObject({ signal: 'none', outcome: 'new', candidates: [] });
  });

  it('a colleague answering from another address with the token threads (sender checks come with authentication)', async () => {
    const n = await notify();
    const raw = withHeaders(fx('replies/django-helpdesk__forwarded-message.eml'), { To: n.token, From: 'Colleague <colleague@example.org>' });
    const reply = await deliver(svc.running.smtpPort, { from: 'colleague@example.org', to: [n.token], raw });
    const row = await svc.running.services.conversations.findMessageById(reply.split(' ').at(-1)!);
    expect(row!.conversation_id).toBe(n.conversationId);
  });

  it('a token whose signature does not verify is rejected and recorded', async () => {
    const n = await notify();
    const forged = n.token.replace(/-([0-9a-f])/, (_m, c: string) => `-${c === 'a' ? 'b' : 'a'}`);
    const r = await receive('replies/talon__iphone.eml', forged, { 'In-Reply-To': null, References: null });
    expect(r.conversationId).not.toBe(n.conversationId);
    expect(r.decision.candidates[0]).toMatchObject({ signal: 'reply-token', outcome: 'bad-signature' });
  });

  it("another organization's Message-ID does not thread", async () => {
    const other = await svc.running.services.auth.createOrganization('Other');
    await svc.running.services.domains.createVerifiedInboundDomain(other.id, 'replies.other.example.com');
    const n = await notify();
    const r = await receive('replies/talon__gmail.eml', 'support@replies.other.example.com', { 'In-Reply-To': n.messageId });
    expect(r.decision.candidates[0]).toMatchObject({ signal: 'in-reply-to', outcome: 'other-organization' });
    expect(r.decision.outcome).toBe('new');
  });
});

describe('the threading window', () => {
  it('threads at 30 days; after it, a new conversation linked to the old one', async () => {
    const n = await notify();
    clock.advance(29.9 * 86_400_000);
    const inside = await receive('replies/talon__gmail.eml', n.token, {});
    expect(inside.conversationId).toBe(n.conversationId);
    clock.advance(0.2 * 86_400_000);
    const after = await receive('replies/talon__gmail.eml', n.token, {});
    expect(after.conversationId).not.toBe(n.conversationId);
    expect(after.decision).toMatchObject({ outcome: 'new-after-window', previousConversationId: n.conversationId });
    expect(after.decision.candidates[0]).toMatchObject({ outcome: 'outside-window', ageDays: 30.1 });
    await svc.newToken(); // a month has passed: the test's access token has expired
  });

  it('is configurable from 0 to 30 days; 0 turns threading off', async () => {
    expect((await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { windowDays: 31 } })).status).toBe(400);
    expect((await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { windowDays: 0 } })).body).toEqual({ windowDays: 0, subjectThreading: false, inboundAuth: 'monitor' });
    clock.advance(6_000); // past the settings cache
    const n = await notify();
    const r = await receive('replies/talon__gmail.eml', n.token, {});
    expect(r.conversationId).not.toBe(n.conversationId);
    expect(r.decision.outcome).toBe('threading-off');
    await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { windowDays: 30 } });
    clock.advance(6_000);
  });

  it('with subject-based threading, a changed base subject starts a new conversation', async () => {
    await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { subjectThreading: true } });
    clock.advance(6_000);
    const n = await notify('Test');
    // "R: R: I: [EXT] Test" has the same base subject as "Test".
    const same = await receive('replies/talon__gmail.eml', n.token, { Subject: 'R: R: I: [EXT] Test' });
    expect(same.conversationId).toBe(n.conversationId);
    const changed = await receive('replies/talon__gmail.eml', n.token, { Subject: 'Re: A different question' });
    expect(changed.conversationId).not.toBe(n.conversationId);
    expect(changed.decision).toMatchObject({ outcome: 'new-subject-changed', previousConversationId: n.conversationId });
    await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { subjectThreading: false } });
    clock.advance(6_000);
  });
});

describe('work items', () => {
  it('a reply becomes a work item in its queue; an out-of-office reply is kept but queues nothing', async () => {
    const before = await queueStats();
    const n = await notify();
    await receive('replies/talon__gmail.eml', n.token, {});
    const afterReply = await queueStats();
    expect(afterReply.waiting).toBe(before.waiting + 1);
    const ooo = await receive('autoreplies/bounceparser__aol-vacation.msg.eml', n.token, {});
    expect(ooo.conversationId).toBe(n.conversationId);
    const msg = await svc.api('GET', `/api/v2/conversations/emails/${n.conversationId}/messages/${ooo.id}`);
    expect(msg.body.inbound).toMatchObject({ kind: 'auto_reply' });
    expect((await queueStats()).waiting).toBe(afterReply.waiting);
  });
});
