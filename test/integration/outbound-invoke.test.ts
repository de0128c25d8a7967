import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { stats } from '../helpers/acd.js';
import { configuration, contact, template } from '../helpers/outbound.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// Invoking an outbound configuration with a Dynamics 365 contact list: every contact rendered
// in its language and sent through the outbound pipeline to a real SMTP sink, or skipped with
// its reason; the whole list in one transaction.

let svc: TestService;
let sink: Awaited<ReturnType<typeof startSink>>;

beforeAll(async () => {
  sink = await startSink();
  svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}` });
});

async function setUp(s: TestService, overrides: Record<string, unknown> = {}) {
  const t = await s.api('POST', '/api/v2/outbound/templates', { body: template() });
  const c = await s.api('POST', '/api/v2/outbound/configurations', { body: configuration(s.init.senderDomain, t.body.id, overrides) });
  expect(c.status, JSON.stringify(c.body)).toBe(200);
  return c.body.id as string;
}
const invoke = (s: TestService, id: string, contactList: unknown[], headers?: Record<string, string>) =>
  s.api('POST', `/api/v2/outbound/configurations/${id}/invoke`, { body: { contactList }, headers });
const sunkTo = (address: string) => waitFor(() => sink.messages.find((m) => m.to.includes(address)), 10_000, `delivery to ${address}`).then((m) => simpleParser(m.raw));
const sentRecord = (messageId: string) => svc.running.services.batcher.run((trx) => trx.selectFrom('outbound_messages').selectAll().where('message_id', '=', messageId).executeTakeFirst());
const messagesTo = async (s: TestService, address: string) => (await s.api('GET', `/api/v2/conversations/emails/messages/search?address=${address}`)).body.total as number;

describe('invoking a configuration', () => {
  it('takes 100 contacts and refuses 101, naming contactList', async () => {
    const id = await setUp(svc);
    const list = Array.from({ length: 100 }, (_, i) => contact(`bulk${i}@example.com`));
    const ok = await invoke(svc, id, list);
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    expect(ok.body.results.map((r: { tocontactid: string; status: string }) => `${r.tocontactid} ${r.status}`)).toEqual(list.map((c) => `${c.tocontactid} queued`));
    expect(new Set(ok.body.results.map((r: { messageId: string }) => r.messageId)).size).toBe(100);
    const over = await invoke(svc, id, [...list, contact('one-more@example.com')]);
    expect(over.status).toBe(400);
    expect(over.body.details[0].fieldName).toBe('contactList');
    expect(await messagesTo(svc, 'one-more@example.com')).toBe(0);
  });

  it('refuses a contact naming another configuration, or an opt-in that is neither true nor false', async () => {
    const id = await setUp(svc);
    const other = await invoke(svc, id, [contact('a@example.com'), contact('b@example.com', { msdyn_ocoutboundconfigurationid: '01a20000-0000-7000-8000-000000000000' })]);
    expect([other.status, other.body.details[0].fieldName]).toEqual([400, 'contactList[1].msdyn_ocoutboundconfigurationid']);
    const same = await invoke(svc, id, [contact('same@example.com', { msdyn_ocoutboundconfigurationid: id.toUpperCase() })]);
    expect(same.body.results[0].status).toBe('queued');
    const yes = await invoke(svc, id, [contact('c@example.com', { optin: undefined, option: 'yes' })]);
    expect([yes.status, yes.body.details[0].fieldName]).toEqual([400, 'contactList[0].option']);
    expect(await messagesTo(svc, 'a@example.com')).toBe(0);
  });

  it('answers each contact in order, skipping with the reason, and sends each its language', async () => {
    const id = await setUp(svc);
    const res = await invoke(svc, id, [
      contact('fr@example.com', { locale: 'fr-CA', CustomerName: 'Zoé <b>' }),
      contact('no@example.com', { optin: 'false' }),
      contact('older@example.com', { optin: undefined, option: 'true', locale: 'fi-FI', contextitems: { regardingobjectid: 'case-7' } }),
      contact('silent@example.com', { optin: undefined }),
      contact('not-an-address'),
      contact('nocase@example.com', { CaseName: undefined, CustomerName: undefined }),
      contact('html@example.com', { CustomerName: 'Pat <script>alert(1)</script>', CaseName: 'X\r\nBcc: victim@example.com' }),
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.results.map((r: { status: string; reason?: string }) => r.reason ?? r.status)).toEqual([
      'queued',
      'no opt-in',
      'queued',
      'no opt-in',
      'invalid address',
      'missing values',
      'queued',
    ]);
    expect(res.body.results[5].missing).toEqual(['{CaseName}', '{FullName{Customer}}']);
    expect(await messagesTo(svc, 'no@example.com')).toBe(0);
    // What schedules and the timeline will read: the configuration and the record regarded.
    expect(await sentRecord(res.body.results[2].messageId)).toMatchObject({ configuration_id: id, regarding_object_id: 'case-7', locale: 'fi-FI', show_in_timeline: 1 });
    const quiet = await setUp(svc, { showInTimeline: false });
    const off = await invoke(svc, quiet, [contact('quiet@example.com', { regardingobjectid: 'case-8', entityrelationshipname: 'incident_msdyn_ocoutboundmessages' })]);
    expect(await sentRecord(off.body.results[0].messageId)).toMatchObject({ configuration_id: quiet, regarding_object_id: null, entity_relationship_name: null });

    const fr = await sunkTo('fr@example.com');
    expect([fr.subject, (fr.text ?? '').trim()]).toEqual(['Dossier CAS-01001 reçu', 'Bonjour Zoé <b>']);
    expect((await sunkTo('older@example.com')).subject).toBe('Palvelupyyntö CAS-01001 vastaanotettu');
    const html = await sunkTo('html@example.com');
    // The value is escaped in the HTML and kept on one line in the subject: no Bcc header.
    expect(html.html).toContain('<p>Hello Pat &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(html.subject).toBe('Case X Bcc: victim@example.com received');
    expect(html.headers.has('bcc')).toBe(false);
    expect(sink.messages.some((m) => m.to.includes('victim@example.com'))).toBe(false);
  });

  it('skips a suppressed contact, whether the organization refuses or records such sends', async () => {
    const id = await setUp(svc);
    expect((await svc.api('PUT', '/api/v2/suppressions/gone@example.com', { body: { reason: 'asked to stop' } })).status).toBe(200);
    const refused = await invoke(svc, id, [contact('gone@example.com'), contact('stays@example.com')]);
    expect(refused.body.results.map((r: { status: string; reason?: string }) => r.reason ?? r.status)).toEqual(['suppressed', 'queued']);
    expect(await messagesTo(svc, 'gone@example.com')).toBe(0);

    expect((await svc.api('PATCH', '/api/v2/organizations/me', { body: { suppressedSends: 'record' } })).status).toBe(200);
    onTestFinished(async () => void (await svc.api('PATCH', '/api/v2/organizations/me', { body: { suppressedSends: 'refuse' } })));
    const recorded = await waitFor(async () => {
      const r = await invoke(svc, id, [contact('gone@example.com')]);
      return r.body.results[0].messageId ? r.body.results[0] : undefined;
    });
    expect(recorded).toMatchObject({ status: 'skipped', reason: 'suppressed' });
    const kept = await svc.api('GET', `/api/v2/conversations/emails/${recorded.conversationId}/messages/${recorded.messageId}`);
    expect(kept.body.deliveryStatus.status).toBe('suppressed');
  });

  it('replays an Idempotency-Key without sending again', async () => {
    const id = await setUp(svc);
    const list = [contact('idem@example.com')];
    const first = await invoke(svc, id, list, { 'Idempotency-Key': 'invoke-1' });
    const again = await invoke(svc, id, list, { 'Idempotency-Key': 'invoke-1' });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await messagesTo(svc, 'idem@example.com')).toBe(1);
    const other = await invoke(svc, id, [contact('idem2@example.com')], { 'Idempotency-Key': 'invoke-1' });
    expect(other.status).toBe(409);
  });

  it("sends replies to the configuration's queue, and lists an onResponse conversation only once the customer answers", async () => {
    const queueId = (await svc.api('POST', '/api/v2/routing/queues', { body: { name: 'Case replies' } })).body.id;
    const id = await setUp(svc, { queueId, conversationRecord: 'onResponse' });
    const res = await invoke(svc, id, [contact('replier@example.com')]);
    const { conversationId } = res.body.results[0];
    const listed = async () => (await svc.api('GET', '/api/v2/conversations/emails?pageSize=100')).body.entities.map((c: { id: string }) => c.id);
    expect(await listed()).not.toContain(conversationId);

    const sent = await sunkTo('replier@example.com');
    const replyTo = sent.replyTo!.value[0]!.address!;
    const raw = [
      'From: Pat Customer <replier@example.com>',
      `To: ${replyTo}`,
      `Subject: Re: ${sent.subject}`,
      `In-Reply-To: ${sent.messageId}`,
      'Message-ID: <reply-1@example.com>',
      'Date: Tue, 01 Dec 2026 10:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Thanks, when will it be fixed?',
      '',
    ].join('\r\n');
    expect(await deliver(svc.running.smtpPort, { from: 'replier@example.com', to: [replyTo], raw })).toMatch(/^250/);
    expect((await stats(svc, queueId)).waiting).toBe(1);
    expect(await listed()).toContain(conversationId);
  });
});

describe('one invocation, one transaction; the hourly limit', () => {
  let small: TestService;
  beforeAll(async () => {
    // Two sends a minute: a three-contact list fails on its third contact.
    small = await startService({ THREADLINE_OUTBOUND_INVOCATIONS_PER_HOUR: '2', THREADLINE_RATE_LIMIT_PER_MINUTE: '2' });
  });

  it('records none of a list that fails part way, and does not count it', async () => {
    const id = await setUp(small);
    const failed = await invoke(small, id, [contact('t1@example.com'), contact('t2@example.com'), contact('t3@example.com')]);
    expect(failed.status).toBe(429);
    for (const a of ['t1@example.com', 't2@example.com', 't3@example.com']) expect(await messagesTo(small, a)).toBe(0);

    expect((await invoke(small, id, [contact('h1@example.com')])).status).toBe(202);
    expect((await invoke(small, id, [contact('h2@example.com')])).status).toBe(202);
    const over = await invoke(small, id, [contact('h3@example.com')]);
    expect(over.status).toBe(429);
    expect(over.body.message).toMatch(/2 times an hour/);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await messagesTo(small, 'h3@example.com')).toBe(0);
  });
});
