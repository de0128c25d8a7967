import { beforeAll, describe, expect, it } from 'vitest';
import { longHeaderLine, manyHeaderLines, nestedDivs, nestedMultiparts } from '../helpers/hostile-mail.js';
import { sendBody, startService, type TestService } from '../helpers/service.js';
import { deliver } from '../helpers/smtp-client.js';

// Hostile mail over SMTP, examined in-line (the thread path: inbound-threads.test.ts). What
// cannot be parsed is kept and held, never refused with a 451 the sender would retry for days;
// what holds up one stage is stored with that stage skipped.

let svc: TestService;
let port: number;
beforeAll(async () => {
  svc = await startService();
  port = svc.running.smtpPort;
});

const from = 'customer@example.com';
const headers = (id: string, to = 'support@replies.localhost') => ({ From: `Pat Customer <${from}>`, To: to, Subject: `Re: ${id}`, 'Message-ID': `<${id}@example.com>` });

describe('mail that cannot be parsed', () => {
  it.each([
    ['2,000 nested multiparts', 'multiparts', nestedMultiparts, /child nodes/],
    ['a 1 MiB header line', 'long-line', longHeaderLine, /header size/],
    ['100,000 header lines', 'many-lines', manyHeaderLines, /header size/],
  ])('is accepted and held in the quarantine as unparseable: %s', async (_name, id, make, why) => {
    const raw = make(headers(id));
    const r = await deliver(port, { from, to: ['support@replies.localhost'], raw });
    expect(r).toMatch(/^250 2\.0\.0 Ok: stored /);
    const heldId = r.split(' ').at(-1)!;
    const entry = await svc.api('GET', `/api/v2/routing/email/quarantine/${heldId}`);
    expect(entry.status).toBe(200);
    expect(entry.body).toMatchObject({ state: 'held', messageId: `<${id}@example.com>`, subject: `Re: ${id}`, from, reason: expect.stringMatching(/^unparseable: /) });
    expect(entry.body.reason).toMatch(why);
    const list = await svc.api('GET', '/api/v2/routing/email/quarantine');
    expect(list.body.entities.map((e: { id: string }) => e.id)).toContain(heldId);
    // The sender's retry is the same message, held once.
    expect((await deliver(port, { from, to: ['support@replies.localhost'], raw })).split(' ').at(-1)).toBe(heldId);
  });
});

describe('a reply that holds up a stage', () => {
  it('is stored and threaded with the stage skipped and why', async () => {
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: 'Nested' }) });
    const token = sent.body.replyToAddress.email as string;
    const raw = nestedDivs(headers('nested', token));
    const r = await deliver(port, { from, to: [token], raw });
    expect(r).toMatch(/^250 /);
    const list = await svc.api('GET', `/api/v2/conversations/emails/${sent.body.conversationId}/messages`);
    const inbound = list.body.entities.find((m: { direction: string }) => m.direction === 'inbound');
    // Only its start is parsed (and its HTML, too long, not converted); its bytes are kept whole.
    expect(inbound).toMatchObject({
      subject: 'Re: nested',
      inbound: {
        kind: 'reply',
        skipped: [
          { stage: 'parse', reason: expect.stringMatching(/^the message is \d+ bytes: its text was read from the first /) },
          { stage: 'reply-text', reason: expect.stringMatching(/^HTML not converted to text/) },
        ],
      },
    });
    const source = await svc.api('GET', `/api/v2/conversations/emails/${sent.body.conversationId}/messages/${inbound.id}/raw`);
    expect(source.status).toBe(200);
    expect(source.body).toBe(raw);
  });
});
