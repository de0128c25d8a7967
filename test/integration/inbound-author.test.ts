import crypto from 'node:crypto';
import fs from 'node:fs';
import { dkimSign } from 'mailauth';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { sendBody, startService, type TestService } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';

// One reading of who sent a reply (src/inbound/author.ts), over real SMTP with mailauth checking
// zones on a loopback DNS server, under the default policy (require). The customer, pat@pat.test,
// got our notification; mallory@evil.test authenticates her own domain perfectly and tries to
// make the customer check read Pat while SPF or DKIM alignment reads her.
//   pat.test   SPF allows 127.0.0.2, DKIM key s1, no DMARC (customer-aligned rules decide)
//   shop.test  SPF allows 127.0.0.2, DKIM key s1, DMARC p=reject (dmarc-pass decides)
//   evil.test  SPF allows 127.0.0.3, DKIM key s1 (Mallory's), DMARC p=none

const CUSTOMER_SERVER = '127.0.0.2';
const ATTACKER_SERVER = '127.0.0.3';
/** A forwarder in no SPF record: only a DKIM signature can carry a reply from it. */
const RELAY = '127.0.0.4';
const pair = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const keys = { customer: pair(), attacker: pair() };
const dkimRecord = (k: typeof keys.customer) => [{ type: 'TXT' as const, data: `v=DKIM1; k=rsa; p=${k.publicKey.toString('base64')}` }];
const clock = manualClock(Date.UTC(2026, 10, 22, 9));
let svc: TestService;
let seq = 0;

beforeAll(async () => {
  const dns = await startDnsServer({
    'pat.test': [{ type: 'TXT', data: `v=spf1 ip4:${CUSTOMER_SERVER} -all` }],
    's1._domainkey.pat.test': dkimRecord(keys.customer),
    'shop.test': [{ type: 'TXT', data: `v=spf1 ip4:${CUSTOMER_SERVER} -all` }],
    '_dmarc.shop.test': [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
    's1._domainkey.shop.test': dkimRecord(keys.customer),
    'evil.test': [{ type: 'TXT', data: `v=spf1 ip4:${ATTACKER_SERVER} -all` }],
    '_dmarc.evil.test': [{ type: 'TXT', data: 'v=DMARC1; p=none' }],
    's1._domainkey.evil.test': dkimRecord(keys.attacker),
  });
  svc = await startService({ THREADLINE_INBOUND_AUTH: 'require' }, { dns, clock });
});

async function conversationWith(customer: string) {
  const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: customer, name: 'Pat' }] }) });
  expect(sent.status).toBe(202);
  const m = await svc.api('GET', sent.body.selfUri);
  return { id: sent.body.conversationId as string, token: sent.body.replyToAddress.email as string, messageId: m.body.messageId as string };
}

type Via = 'reply-token' | 'in-reply-to';

interface Mail {
  /** The From field or fields exactly as written (several lines: several fields). */
  from: string[];
  mailFrom: string;
  server: string;
  /** The domain whose key signs it (DKIM, relaxed/relaxed, every field present). */
  sign?: 'pat.test' | 'shop.test' | 'evil.test';
  headers?: Record<string, string>;
}

/** The Gmail fixture with these fields, threaded by the reply token or by In-Reply-To alone. */
async function send(c: { token: string; messageId: string }, m: Mail, via: Via = 'reply-token') {
  const to = via === 'reply-token' ? c.token : `support@${svc.init.inboundDomain}`;
  const fixture = fs.readFileSync('fixtures/replies/talon__gmail.eml');
  const rest = withHeaders(fixture, {
    From: null,
    To: to,
    'Message-ID': `<author-${++seq}@mail.example.net>`,
    'In-Reply-To': via === 'in-reply-to' ? c.messageId : null,
    References: via === 'in-reply-to' ? c.messageId : null,
    ...m.headers,
  });
  let raw = [...m.from, rest].join('\n').replace(/\r?\n/g, '\r\n');
  if (m.sign) {
    const key = { signingDomain: m.sign, selector: 's1', privateKey: (m.sign === 'evil.test' ? keys.attacker : keys.customer).privateKey };
    const signed = await dkimSign(raw, { ...key, canonicalization: 'relaxed/relaxed', signatureData: [key] });
    expect(signed.errors).toEqual([]);
    raw = signed.signatures + raw;
  }
  const reply = await deliver(svc.running.smtpPort, { from: m.mailFrom, to: [to], raw, localAddress: m.server, helo: 'mail.example.net' });
  expect(reply).toMatch(/^250/);
  return reply.split(' ').at(-1)!;
}

type Message = { id: string; direction: string; from: { email: string; name?: string } };
const messagesOf = async (conversationId: string) => (await svc.api('GET', `/api/v2/conversations/emails/${conversationId}/messages`)).body.entities as Message[];
const heldEntry = async (id: string) =>
  ((await svc.api('GET', '/api/v2/routing/email/quarantine')).body.entities as Array<{ id: string; reason: string; threading: { signal: string; authentication: { rule: string } } }>).find(
    (q) => q.id === id,
  );
const decisionOf = async (conversationId: string, id: string) => (await svc.api('GET', `/api/v2/conversations/emails/${conversationId}/messages/${id}/threading`)).body;

const PAT = 'From: Pat <pat@pat.test>';
const b64 = (s: string) => Buffer.from(s).toString('base64');

// What was let in before: each of these reached the conversation by an authentication rule.
const ambiguous: Array<[string, Mail, RegExp]> = [
  [
    'a second From field with a space before the colon; SPF passes for the attacker',
    { from: ['From : <mallory@evil.test>', PAT], mailFrom: 'mallory@evil.test', server: ATTACKER_SERVER },
    /2 From fields/,
  ],
  ['the same, the fields the other way round', { from: [PAT, 'From : <mallory@evil.test>'], mailFrom: 'mallory@evil.test', server: ATTACKER_SERVER }, /2 From fields/],
  ['a tab before the colon', { from: ['From\t: <mallory@evil.test>', PAT], mailFrom: 'mallory@evil.test', server: ATTACKER_SERVER }, /2 From fields/],
  ['From repeated in another case', { from: ['FROM: <mallory@evil.test>', PAT], mailFrom: 'mallory@evil.test', server: ATTACKER_SERVER }, /2 From fields/],
  [
    'an empty group and the attacker, signed by her domain',
    { from: ['From: undisclosed:;, <mallory@evil.test>'], mailFrom: 'pat@pat.test', server: ATTACKER_SERVER, sign: 'evil.test' },
    /more than one mailbox/,
  ],
  [
    'a group holding the customer, then the attacker',
    { from: ['From: g: <pat@pat.test>;, <mallory@evil.test>'], mailFrom: 'pat@pat.test', server: ATTACKER_SERVER, sign: 'evil.test' },
    /more than one mailbox/,
  ],
  [
    'two mailboxes, the customer first',
    { from: ['From: Pat <pat@pat.test>, <mallory@evil.test>'], mailFrom: 'mallory@evil.test', server: ATTACKER_SERVER, sign: 'evil.test' },
    /more than one mailbox/,
  ],
  ['a group alone, from the customer server', { from: ['From: Pat: <pat@pat.test>;'], mailFrom: 'pat@pat.test', server: CUSTOMER_SERVER }, /group syntax/],
  ['no From field at all, from the customer server', { from: [], mailFrom: 'pat@pat.test', server: CUSTOMER_SERVER }, /no From field/],
  ['a From that does not parse strictly', { from: ['From: pat@pat.test <mallory@evil.test>'], mailFrom: 'mallory@evil.test', server: ATTACKER_SERVER, sign: 'evil.test' }, /not a phrase/],
  [
    'two fields joined by a bare CR',
    { from: ['From: <mallory@evil.test>\rFrom: Pat <pat@pat.test>'], mailFrom: 'mallory@evil.test', server: ATTACKER_SERVER, sign: 'evil.test' },
    /control character|From fields/,
  ],
];

describe('a reply without one author is never appended', () => {
  it.each(ambiguous.flatMap(([name, mail, why]) => (['reply-token', 'in-reply-to'] as const).map((via) => [`${name} (${via})`, mail, why, via] as const)))(
    '%s',
    async (_name, mail, why, via) => {
      const c = await conversationWith('pat@pat.test');
      const id = await send(c, mail, via);
      expect((await messagesOf(c.id)).filter((m) => m.direction === 'inbound')).toEqual([]);
      const q = await heldEntry(id);
      expect(q?.threading).toMatchObject({ signal: via, authentication: { rule: 'ambiguous-author' } });
      expect(q!.reason).toMatch(/^The author cannot be determined unambiguously: /);
      expect(q!.reason).toMatch(why);
    },
  );

  it('not even under the monitor policy, which lets every other failure in', async () => {
    await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { inboundAuth: 'monitor' } });
    clock.advance(6_000); // past the settings cache
    try {
      const c = await conversationWith('pat@pat.test');
      const forged = await send(c, { from: [PAT], mailFrom: 'mallory@evil.test', server: ATTACKER_SERVER });
      expect((await decisionOf(c.id, forged)).authentication.rule).toBe('monitor');
      const id = await send(c, ambiguous[0]![1]);
      expect((await heldEntry(id))?.threading.authentication.rule).toBe('ambiguous-author');
    } finally {
      await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { inboundAuth: 'require' } });
      clock.advance(6_000);
    }
  });

  it('starts a conversation of its own, filed under the envelope sender and shown without the name it claims', async () => {
    const plain = `support@${svc.init.inboundDomain}`;
    const id = await send({ token: plain, messageId: '' }, { from: [PAT, 'From : <mallory@evil.test>'], mailFrom: 'mallory@evil.test', server: ATTACKER_SERVER });
    const row = (await svc.running.services.conversations.findMessageById(id))!;
    const conversation = (await svc.api('GET', `/api/v2/conversations/emails/${row.conversation_id}`)).body;
    expect(conversation.participants[0].address).toBe('mallory@evil.test');
    expect((await messagesOf(row.conversation_id)).find((m) => m.id === id)!.from).toEqual({ email: 'mallory@evil.test' });
    expect((await decisionOf(row.conversation_id, id)).authorProblem).toBe('the message has 2 From fields');
  });
});

// Genuine replies, and the syntax real clients write, still join by each rule.
const genuine: Array<[string, Mail, string, string]> = [
  ['SPF from the customer server', { from: [PAT], mailFrom: 'pat@pat.test', server: CUSTOMER_SERVER }, 'pat@pat.test', 'customer-aligned-spf'],
  ['DKIM through a forwarder', { from: [PAT], mailFrom: 'fwd@relay.example.net', server: RELAY, sign: 'pat.test' }, 'pat@pat.test', 'customer-aligned-dkim'],
  ['DMARC for the customer domain', { from: ['From: Pat <pat@shop.test>'], mailFrom: 'pat@shop.test', server: CUSTOMER_SERVER, sign: 'shop.test' }, 'pat@shop.test', 'dmarc-pass'],
  [
    'a folded field, quoted name and a comment',
    { from: ['From:\n  "Pat"\n <pat@pat.test> (home)'], mailFrom: 'pat@pat.test', server: CUSTOMER_SERVER },
    'pat@pat.test',
    'customer-aligned-spf',
  ],
  [
    'an encoded-word name, lower-case field name',
    { from: [`from: =?utf-8?b?${b64('Pat')}?= <PAT@pat.test>`], mailFrom: 'fwd@relay.example.net', server: RELAY, sign: 'pat.test' },
    'pat@pat.test',
    'customer-aligned-dkim',
  ],
  ['a Sender naming someone else', { from: [PAT], mailFrom: 'pat@pat.test', server: CUSTOMER_SERVER, headers: { Sender: 'mallory@evil.test' } }, 'pat@pat.test', 'customer-aligned-spf'],
];

describe('a genuine reply still joins its conversation', () => {
  it.each(genuine.flatMap(([name, mail, customer, rule]) => (['reply-token', 'in-reply-to'] as const).map((via) => [`${name} (${via})`, mail, customer, rule, via] as const)))(
    '%s',
    async (_name, mail, customer, rule, via) => {
      const c = await conversationWith(customer);
      const id = await send(c, mail, via);
      const stored = (await messagesOf(c.id)).find((m) => m.id === id);
      expect(stored?.from).toEqual({ email: customer, name: 'Pat' });
      expect(await decisionOf(c.id, id)).toMatchObject({ signal: via, authentication: { allowed: true, rule } });
    },
  );
});

describe("an agent's answer", () => {
  const answer = async (conversationId: string) => {
    const res = await svc.api('POST', `/api/v2/conversations/emails/${conversationId}/messages`, { body: { textBody: 'It ships tomorrow.' } });
    expect(res.status).toBe(202);
    return res.body.to as Array<{ email: string; name?: string }>;
  };

  it("goes to the conversation's customer, never to a Reply-To or a Sender of a reply", async () => {
    const c = await conversationWith('pat@pat.test');
    const id = await send(c, { from: [PAT], mailFrom: 'pat@pat.test', server: CUSTOMER_SERVER, headers: { 'Reply-To': 'Pat <mallory@evil.test>', Sender: 'mallory@evil.test' } });
    expect((await messagesOf(c.id)).map((m) => m.id)).toContain(id);
    expect(await answer(c.id)).toEqual([{ email: 'pat@pat.test', name: 'Pat' }]);
  });

  it('goes to the customer after a reply an administrator let in, which shows no borrowed name', async () => {
    const c = await conversationWith('pat@pat.test');
    const id = await send(c, {
      from: [`From: =?utf-8?b?${b64('Pat <pat@pat.test>')}?= <mallory@evil.test>`],
      mailFrom: 'mallory@evil.test',
      server: ATTACKER_SERVER,
      sign: 'evil.test',
      headers: { 'Reply-To': 'mallory@evil.test' },
    });
    expect((await heldEntry(id))?.threading.authentication.rule).toBe('unauthenticated');
    const released = await svc.api('POST', `/api/v2/routing/email/quarantine/${id}/release`, { body: { into: 'conversation' } });
    expect(released.status).toBe(200);
    expect((await messagesOf(c.id)).find((m) => m.id === released.body.resultMessageId)!.from).toEqual({ email: 'mallory@evil.test' });
    expect(await answer(c.id)).toEqual([{ email: 'pat@pat.test', name: 'Pat' }]);
  });
});
