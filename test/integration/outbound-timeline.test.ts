import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { configuration, contact, template } from '../helpers/outbound.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver } from '../helpers/smtp-client.js';

// A Dynamics record's timeline: the messages an outbound configuration sent about it
// (regardingobjectid) and the customers' replies, newest first, with their status.

const clock = manualClock(Date.UTC(2026, 11, 1, 12));
let svc: TestService;

beforeAll(async () => {
  svc = await startService({}, { clock });
});

async function setUp(showInTimeline: boolean): Promise<string> {
  const t = await svc.api('POST', '/api/v2/outbound/templates', { body: template() });
  return (await svc.api('POST', '/api/v2/outbound/configurations', { body: configuration(svc.init.senderDomain, t.body.id, { showInTimeline }) })).body.id;
}
const invoke = async (id: string, contactList: unknown[]) => {
  const res = await svc.api('POST', `/api/v2/outbound/configurations/${id}/invoke`, { body: { contactList } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  clock.advance(1_000);
  return res.body.results as Array<{ messageId: string; conversationId: string }>;
};
const timeline = (record: string, query = '', token?: string) => svc.api('GET', `/api/v2/outbound/timeline?regardingobjectid=${record}${query}`, { token });

/** The customer answers the message, at its signed reply address; resolves once the reply is recorded. */
async function reply(messageId: string, from: string, text: string) {
  const m = await svc.running.services.batcher.run((trx) => trx.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirstOrThrow());
  const raw = [`From: <${from}>`, `To: ${m.reply_to_email}`, `Subject: Re: ${m.subject}`, `In-Reply-To: <${m.message_id_header}>`, `Message-ID: <${text.length}-${from}>`, '', text, ''].join(
    '\r\n',
  );
  expect(await deliver(svc.running.smtpPort, { from, to: [m.reply_to_email!], raw })).toMatch(/^250/);
  clock.advance(1_000);
}

describe('the timeline', () => {
  it("lists a record's messages and their replies, newest first, with status", async () => {
    const id = await setUp(true);
    const [first] = await invoke(id, [contact('tl-a@example.com', { regardingobjectid: 'case-1', entityrelationshipname: 'incident' })]);
    const [, second] = await invoke(id, [contact('tl-other@example.com', { regardingobjectid: 'case-2' }), contact('tl-b@example.com', { contextitems: { regardingobjectid: 'case-1' } })]);
    await reply(first!.messageId, 'tl-a@example.com', 'Thanks, any news?');
    const res = await waitFor(
      async () => {
        const r = await timeline('case-1');
        return r.body.entities?.length === 3 && r.body.entities[2].status === 'sent' ? r : undefined;
      },
      10_000,
      'the reply on the timeline and the first message sent',
    );
    expect(res.status).toBe(200);
    expect(res.body.entities.map((e: { direction: string; from: string; to: string }) => `${e.direction} ${e.direction === 'inbound' ? e.from : e.to}`)).toEqual([
      'inbound tl-a@example.com',
      'outbound tl-b@example.com',
      'outbound tl-a@example.com',
    ]);
    const [answer, b, a] = res.body.entities;
    expect(answer.conversationId).toBe(first!.conversationId);
    expect([a.id, a.configurationId, a.entityRelationshipName, a.locale, a.status]).toEqual([first!.messageId, id, 'incident', 'en', 'sent']);
    expect(b.id).toBe(second!.messageId);
    expect(res.body.total).toBe(3);
    const page2 = await timeline('case-1', '&pageSize=2&pageNumber=2');
    expect(page2.body.entities.map((e: { id: string }) => e.id)).toEqual([first!.messageId]);
    expect((await timeline('case-2')).body.entities.map((e: { to: string }) => e.to)).toEqual(['tl-other@example.com']);
  });

  it('keeps nothing for the timeline of a configuration that does not show on it', async () => {
    const id = await setUp(false);
    const [sent] = await invoke(id, [contact('tl-hidden@example.com', { regardingobjectid: 'case-hidden' })]);
    await reply(sent!.messageId, 'tl-hidden@example.com', 'A reply nobody lists');
    const row = await svc.running.services.batcher.run((trx) => trx.selectFrom('outbound_messages').selectAll().where('message_id', '=', sent!.messageId).executeTakeFirstOrThrow());
    expect([row.regarding_object_id, row.configuration_id]).toEqual([null, id]);
    expect((await timeline('case-hidden')).body).toMatchObject({ entities: [], total: 0 });
  });

  it("shows one organization nothing of another's records, and wants a regardingobjectid", async () => {
    const id = await setUp(true);
    await invoke(id, [contact('tl-private@example.com', { regardingobjectid: 'case-private' })]);
    const org = await svc.running.services.auth.createOrganization('Other Co');
    const client = await svc.running.services.auth.createClient(org.id, 'admin', ['*:*:*']);
    const other = await svc.token(client.id, client.secret);
    expect((await timeline('case-private', '', other)).body.entities).toEqual([]);
    expect((await timeline('case-private')).body.entities).toHaveLength(1);
    const missing = await svc.api('GET', '/api/v2/outbound/timeline');
    expect([missing.status, missing.body.details?.[0]?.fieldName]).toEqual([400, 'regardingobjectid']);
  });
});
