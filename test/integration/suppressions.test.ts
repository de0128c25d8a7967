import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { SOFT_BOUNCE_LIMIT, SOFT_SUPPRESSION_MS } from '../../src/suppression/suppression.service.js';
import { eventsOf, sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { startSink } from '../helpers/smtp-sink.js';

// The suppression list as an administrator and a sending system meet it: entries added by hand
// or by bounces, sends to those addresses refused (or kept and never sent), entries removed.

const clock = manualClock(Date.UTC(2026, 11, 1, 12));
let svc: TestService;
let sink: Awaited<ReturnType<typeof startSink>>;

beforeAll(async () => {
  sink = await startSink();
  svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}` }, { clock });
});

const send = (to: string) => svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: to }] }) });
const inTx = <T>(work: (trx: any) => Promise<T>) => svc.running.services.batcher.run(work);

describe('the suppression list', () => {
  it('lists, reads, adds and removes entries; an address is one entry however it is spelt', async () => {
    const put = await svc.api('PUT', '/api/v2/suppressions/Pat.Gone@Example.COM', { body: { reason: 'asked us to stop' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ email: 'pat.gone@example.com', reason: 'manual', detail: 'asked us to stop', selfUri: '/api/v2/suppressions/pat.gone%40example.com' });
    expect((await svc.api('PUT', '/api/v2/suppressions/sam@example.net')).status).toBe(200);

    expect((await svc.api('GET', '/api/v2/suppressions/pat.gone@example.com')).body.reason).toBe('manual');
    const all = await svc.api('GET', '/api/v2/suppressions?pageSize=1');
    expect(all.body).toMatchObject({ total: 2, pageSize: 1, pageCount: 2 });
    expect(all.body.entities).toHaveLength(1);
    const found = await svc.api('GET', '/api/v2/suppressions?email=EXAMPLE.NET');
    expect(found.body.entities.map((e: { email: string }) => e.email)).toEqual(['sam@example.net']);
    // LIKE's wildcards are searched for, not used.
    expect((await svc.api('GET', '/api/v2/suppressions?email=%25')).body.total).toBe(0);

    expect((await svc.api('DELETE', '/api/v2/suppressions/PAT.GONE@example.com')).status).toBe(204);
    expect((await svc.api('GET', '/api/v2/suppressions/pat.gone@example.com')).status).toBe(404);
    expect((await svc.api('DELETE', '/api/v2/suppressions/pat.gone@example.com')).status).toBe(404);
    expect((await svc.api('DELETE', '/api/v2/suppressions/sam@example.net')).status).toBe(204);

    // Each change is an event, in the order it happened.
    const changes = await eventsOf(svc, 'suppression.added,suppression.removed', () => true, 4);
    expect(changes.map((e: { type: string; data: { email: string } }) => `${e.type} ${e.data.email}`)).toEqual([
      'suppression.added pat.gone@example.com',
      'suppression.added sam@example.net',
      'suppression.removed pat.gone@example.com',
      'suppression.removed sam@example.net',
    ]);

    const bad = await svc.api('PUT', '/api/v2/suppressions/not-an-address');
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].fieldName).toBe('email');
  });

  it('refuses a send or an agent answer to a suppressed address with recipient.suppressed, and sends again once removed', async () => {
    const first = await send('leaving@example.com');
    expect(first.status).toBe(202);
    await svc.api('PUT', '/api/v2/suppressions/leaving@example.com');

    const refused = await send('Leaving@EXAMPLE.com');
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('recipient.suppressed');
    expect(refused.body.details[0]).toEqual({ errorCode: 'recipient.suppressed', fieldName: 'toAddresses[0].email' });
    expect(refused.body.message).toContain('leaving@example.com');

    const answer = await svc.api('POST', `/api/v2/conversations/emails/${first.body.conversationId}/messages`, { body: { textBody: 'One more thing' } });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('recipient.suppressed');

    await svc.api('DELETE', '/api/v2/suppressions/leaving@example.com');
    expect((await send('leaving@example.com')).status).toBe(202);
  });

  it('keeps a send to a suppressed address as suppressed, never sent, where the organization chose so', async () => {
    await svc.api('PUT', '/api/v2/suppressions/kept@example.com');
    expect((await svc.api('PATCH', '/api/v2/organizations/me', { body: { suppressedSends: 'record' } })).body.suppressedSends).toBe('record');
    try {
      const kept = await send('kept@example.com');
      expect(kept.status).toBe(202);
      const msg = (await svc.api('GET', `/api/v2/conversations/emails/${kept.body.conversationId}/messages/${kept.body.id}`)).body;
      expect(msg.deliveryStatus.status).toBe('suppressed');
      const events = await eventsOf(svc, 'message.suppressed,message.queued', (e) => e.data.messageId === kept.body.id, 1);
      expect(events.filter((e: { data: { messageId: string } }) => e.data.messageId === kept.body.id).map((e: { type: string }) => e.type)).toEqual(['message.suppressed']);
      // A send made after it is delivered: the worker has looked at the outbox, and the kept one was not in it.
      const later = await send('someone@example.com');
      await waitFor(async () =>
        (await svc.api('GET', `/api/v2/conversations/emails/${later.body.conversationId}/messages/${later.body.id}`)).body.deliveryStatus.status === 'sent' ? true : undefined,
      );
      expect(sink.messages.some((m) => m.to.includes('kept@example.com'))).toBe(false);
    } finally {
      await svc.api('PATCH', '/api/v2/organizations/me', { body: { suppressedSends: 'refuse' } });
    }
  });

  it('suppresses on a hard bounce at once and for good; on soft bounces only after repeats, and for a while', async () => {
    const { suppressions } = svc.running.services;
    const orgId = svc.init.orgId;
    const sent = await send('nobody@example.com');
    expect(await inTx((trx) => suppressions.bounced(trx, orgId, 'nobody@example.com', { type: 'hard', messageId: sent.body.id, detail: '550 5.1.1 unknown user' }))).toBe(true);
    const hard = (await svc.api('GET', '/api/v2/suppressions/nobody@example.com')).body;
    expect(hard).toMatchObject({ reason: 'hard-bounce', messageId: sent.body.id, detail: '550 5.1.1 unknown user' });
    expect(hard.dateExpires).toBeUndefined();
    const added = await eventsOf(svc, 'suppression.added', (e) => e.data.email === 'nobody@example.com', 1);
    expect(added.map((e: { data: object }) => e.data)).toEqual([{ email: 'nobody@example.com', reason: 'hard-bounce', messageId: sent.body.id }]);

    for (let i = 1; i < SOFT_BOUNCE_LIMIT; i++) {
      expect(await inTx((trx) => suppressions.bounced(trx, orgId, 'full@example.com', { type: 'soft', messageId: sent.body.id, detail: '452 4.2.2 mailbox full' }))).toBe(false);
      expect((await send('full@example.com')).status).toBe(202);
    }
    expect(await inTx((trx) => suppressions.bounced(trx, orgId, 'full@example.com', { type: 'soft', messageId: sent.body.id, detail: '452 4.2.2 mailbox full' }))).toBe(true);
    const soft = (await svc.api('GET', '/api/v2/suppressions/full@example.com')).body;
    expect(soft.reason).toBe('soft-bounce');
    expect(Date.parse(soft.dateExpires)).toBe(clock.now() + SOFT_SUPPRESSION_MS);
    expect((await send('full@example.com')).body.code).toBe('recipient.suppressed');

    clock.advance(SOFT_SUPPRESSION_MS + 1);
    await svc.newToken();
    expect((await svc.api('GET', '/api/v2/suppressions/full@example.com')).status).toBe(404);
    expect((await send('full@example.com')).status).toBe(202);
    // The hard bounce's entry does not expire.
    expect((await send('nobody@example.com')).body.code).toBe('recipient.suppressed');
  });
});
