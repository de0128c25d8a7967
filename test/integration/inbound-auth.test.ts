import crypto from 'node:crypto';
import fs from 'node:fs';
import { dkimSign } from 'mailauth';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { initOrganization } from '../../src/setup/init.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { sendBody, startService, type TestService } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';

// Authenticated threading with the default policy (require): real replies (a Gmail fixture)
// sent over SMTP from different loopback addresses standing for different mail servers, signed
// with real keys, checked by mailauth against zones served by a DNS server on loopback.
//   customer.test  SPF allows 127.0.0.2, DMARC p=reject, DKIM key s1
//   lax.test       SPF allows 127.0.0.2, no DMARC
//   attacker.test  SPF allows 127.0.0.3, DMARC p=none (a stranger who authenticates well)
//   quiet.test     publishes nothing

const CUSTOMER_SERVER = '127.0.0.2';
const ATTACKER_SERVER = '127.0.0.3';
const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const clock = manualClock(Date.UTC(2026, 10, 22, 9));
let svc: TestService;
let seq = 0;

beforeAll(async () => {
  const dns = await startDnsServer({
    'customer.test': [{ type: 'TXT', data: `v=spf1 ip4:${CUSTOMER_SERVER} -all` }],
    '_dmarc.customer.test': [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
    's1._domainkey.customer.test': [{ type: 'TXT', data: `v=DKIM1; k=rsa; p=${keys.publicKey.toString('base64')}` }],
    'lax.test': [{ type: 'TXT', data: `v=spf1 ip4:${CUSTOMER_SERVER} -all` }],
    'attacker.test': [{ type: 'TXT', data: `v=spf1 ip4:${ATTACKER_SERVER} -all` }],
    '_dmarc.attacker.test': [{ type: 'TXT', data: 'v=DMARC1; p=none' }],
  });
  svc = await startService({ THREADLINE_INBOUND_AUTH: 'require' }, { dns, clock });
});

async function conversationWith(customer: string) {
  const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: customer }] }) });
  expect(sent.status).toBe(202);
  const m = await svc.api('GET', sent.body.selfUri);
  return { conversationId: sent.body.conversationId as string, token: sent.body.replyToAddress.email as string, messageId: m.body.messageId as string };
}

interface Reply {
  from: string;
  to: string;
  inReplyTo?: string;
  server: string;
  mailFrom?: string;
  sign?: boolean;
  /** Changes the body after signing, as a careless relay would. */
  tamper?: boolean;
}

/** The Gmail fixture made into this reply, DKIM-signed by customer.test when asked, delivered. */
async function send(r: Reply) {
  let raw = withHeaders(fs.readFileSync('fixtures/replies/talon__gmail.eml'), {
    From: `Pat <${r.from}>`,
    To: r.to,
    'Message-ID': `<auth-${++seq}@mail.example.net>`,
    'In-Reply-To': r.inReplyTo ?? null,
    References: r.inReplyTo ?? null,
    'DKIM-Signature': null,
    'X-Google-DKIM-Signature': null,
  }).replace(/\r?\n/g, '\r\n');
  if (r.sign) {
    const key = { signingDomain: 'customer.test', selector: 's1', privateKey: keys.privateKey };
    const signed = await dkimSign(raw, { ...key, canonicalization: 'relaxed/relaxed', signatureData: [key] });
    expect(signed.errors).toEqual([]);
    raw = signed.signatures + raw;
  }
  if (r.tamper) raw = raw.replace(/\r\n\r\n/, '\r\n\r\nP.S. Send the refund to account 12345.\r\n');
  const reply = await deliver(svc.running.smtpPort, { from: r.mailFrom ?? r.from, to: [r.to], raw, localAddress: r.server, helo: 'mail.example.net' });
  expect(reply).toMatch(/^250/);
  return reply.split(' ').at(-1)!;
}

const messagesOf = async (conversationId: string) =>
  (await svc.api('GET', `/api/v2/conversations/emails/${conversationId}/messages`)).body.entities as Array<{
    id: string;
    direction: string;
    messageId: string;
    inbound?: { authenticationResults?: string; authentication?: { dmarc: { result: string } } };
  }>;
const held = async () =>
  (await svc.api('GET', '/api/v2/routing/email/quarantine')).body.entities as Array<{
    id: string;
    conversationId: string;
    reason: string;
    messageId: string;
    authenticationResults: string;
    threading: { authentication: { rule: string } };
  }>;
const heldFor = async (id: string) => (await held()).find((q) => q.id === id);

describe('authenticated threading (policy: require)', () => {
  it('appends a reply that passes DMARC, with its Authentication-Results stored and the rule recorded', async () => {
    const c = await conversationWith('pat@customer.test');
    const id = await send({ from: 'pat@customer.test', to: c.token, server: CUSTOMER_SERVER, sign: true });
    const stored = (await messagesOf(c.conversationId)).find((m) => m.id === id);
    expect(stored, 'the reply joined the conversation').toBeDefined();
    expect(stored!.inbound!.authenticationResults).toMatch(/spf=pass/);
    expect(stored!.inbound!.authenticationResults).toMatch(/dkim=pass[^;]*customer\.test/);
    expect(stored!.inbound!.authenticationResults).toMatch(/dmarc=pass/);
    const decision = (await svc.api('GET', `/api/v2/conversations/emails/${c.conversationId}/messages/${id}/threading`)).body;
    expect(decision.authentication).toMatchObject({ policy: 'require', allowed: true, rule: 'dmarc-pass' });
  });

  it('quarantines a forged From with a stolen reply token (DMARC p=reject fails)', async () => {
    const c = await conversationWith('pat@customer.test');
    const before = (await messagesOf(c.conversationId)).length;
    const id = await send({ from: 'pat@customer.test', to: c.token, server: ATTACKER_SERVER });
    expect(await messagesOf(c.conversationId)).toHaveLength(before);
    const q = await heldFor(id);
    expect(q).toMatchObject({ conversationId: c.conversationId, threading: { signal: 'reply-token', authentication: { rule: 'unauthenticated' } } });
    expect(q!.reason).toMatch(/DMARC fail \(p=reject\)/);
    expect(q!.authenticationResults).toMatch(/spf=fail/);
  });

  it('quarantines a stranger naming our Message-ID in In-Reply-To, even one whose own DMARC passes', async () => {
    const c = await conversationWith('pat@customer.test');
    const plain = `support@${svc.init.inboundDomain}`;
    const stranger = await send({ from: 'mallory@attacker.test', to: plain, inReplyTo: c.messageId, server: ATTACKER_SERVER });
    const q = await heldFor(stranger);
    expect(q?.reason).toContain("DMARC passes for attacker.test, but it is not the domain of the conversation's customer");
    // The same header forged onto the customer's own address, from the stranger's server.
    const forged = await send({ from: 'pat@customer.test', to: plain, inReplyTo: c.messageId, mailFrom: 'mallory@attacker.test', server: ATTACKER_SERVER });
    expect((await heldFor(forged))?.reason).toMatch(/DMARC fail/);
    expect((await messagesOf(c.conversationId)).filter((m) => m.direction === 'inbound')).toHaveLength(0);
  });

  it('quarantines a reply whose DKIM signature broke in transit and whose SPF does not pass', async () => {
    const c = await conversationWith('pat@customer.test');
    const id = await send({ from: 'pat@customer.test', to: c.token, server: ATTACKER_SERVER, sign: true, tamper: true });
    const q = await heldFor(id);
    expect(q?.reason).toMatch(/DKIM (neutral|fail) for customer\.test \(body hash/);
    // Untouched, the same signature carries the reply in, whatever server relays it.
    const ok = await send({ from: 'pat@customer.test', to: c.token, server: ATTACKER_SERVER, sign: true });
    expect((await messagesOf(c.conversationId)).map((m) => m.id)).toContain(ok);
  });

  it('without DMARC, lets in the customer (aligned SPF) but not a colleague', async () => {
    const c = await conversationWith('pat@lax.test');
    const own = await send({ from: 'pat@lax.test', to: c.token, server: CUSTOMER_SERVER });
    expect((await messagesOf(c.conversationId)).map((m) => m.id)).toContain(own);
    const decision = (await svc.api('GET', `/api/v2/conversations/emails/${c.conversationId}/messages/${own}/threading`)).body;
    expect(decision.authentication.rule).toBe('customer-aligned-spf');
    const colleague = await send({ from: 'sam@lax.test', to: c.token, server: CUSTOMER_SERVER });
    expect((await heldFor(colleague))?.reason).toMatch(/not the conversation's customer .* DMARC does not pass: DMARC none/);
  });

  it('holds mail from a domain that publishes nothing unless the organization relaxes the rule for it', async () => {
    const c = await conversationWith('pat@quiet.test');
    const strict = await send({ from: 'pat@quiet.test', to: c.token, server: CUSTOMER_SERVER });
    expect(await heldFor(strict)).toBeDefined();

    expect((await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { inboundAuth: 'relaxed' } })).body.inboundAuth).toBe('relaxed');
    expect((await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { inboundAuth: 'lenient' } })).status).toBe(400);
    clock.advance(6_000); // past the settings cache
    try {
      const relaxed = await send({ from: 'pat@quiet.test', to: c.token, server: CUSTOMER_SERVER });
      expect((await messagesOf(c.conversationId)).map((m) => m.id)).toContain(relaxed);
      const decision = (await svc.api('GET', `/api/v2/conversations/emails/${c.conversationId}/messages/${relaxed}/threading`)).body;
      expect(decision.authentication).toMatchObject({ policy: 'relaxed', rule: 'relaxed-publishes-nothing' });
      // Relaxed is for domains that publish nothing: customer.test's p=reject still holds.
      const c2 = await conversationWith('pat@customer.test');
      expect(await heldFor(await send({ from: 'pat@customer.test', to: c2.token, server: ATTACKER_SERVER }))).toBeDefined();
    } finally {
      await svc.api('PUT', '/api/v2/organizations/me/threading', { body: { inboundAuth: 'require' } });
      clock.advance(6_000);
    }
  });

  it("does not thread another organization's reply token into its conversation", async () => {
    const other = await initOrganization(svc.running.services, { orgName: 'Other', inboundDomain: 'replies.other.test', senderDomain: 'notify.other.test' });
    const cTheirs = await (async () => {
      const t = await svc.token(other.clientId, other.clientSecret);
      const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', {
        token: t,
        body: { ...sendBody(svc), fromAddress: { email: `n@${other.senderDomain}` }, toAddresses: [{ email: 'pat@customer.test' }] },
      });
      expect(sent.status).toBe(202);
      return { conversationId: sent.body.conversationId as string, token: sent.body.replyToAddress.email as string, orgToken: t };
    })();
    // Their token, addressed to our inbound domain, by a customer who authenticates perfectly.
    const stolen = `${cTheirs.token.split('@')[0]}@${svc.init.inboundDomain}`;
    const id = await send({ from: 'pat@customer.test', to: stolen, server: CUSTOMER_SERVER, sign: true });
    const row = await svc.running.services.conversations.findMessageById(id);
    expect(row!.org_id).toBe(svc.init.orgId);
    expect(row!.conversation_id).not.toBe(cTheirs.conversationId);
    const theirs = (await svc.api('GET', `/api/v2/conversations/emails/${cTheirs.conversationId}/messages`, { token: cTheirs.orgToken })).body.entities;
    expect(theirs.filter((m: { direction: string }) => m.direction === 'inbound')).toHaveLength(0);
    const decision = await svc.running.services.threading.explain(svc.init.orgId, id);
    expect(decision.candidates.find((x: { signal: string }) => x.signal === 'reply-token')).toMatchObject({ outcome: 'other-organization' });
  });
});

describe('quarantine', () => {
  it('an administrator releases a held reply into its conversation, or as a new one, or drops it', async () => {
    const c = await conversationWith('pat@customer.test');
    const a = await send({ from: 'pat@customer.test', to: c.token, server: ATTACKER_SERVER });
    const b = await send({ from: 'pat@customer.test', to: c.token, server: ATTACKER_SERVER });
    const d = await send({ from: 'pat@customer.test', to: c.token, server: ATTACKER_SERVER });

    const released = await svc.api('POST', `/api/v2/routing/email/quarantine/${a}/release`, { body: { into: 'conversation' } });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ state: 'released', resolution: 'conversation', conversationId: c.conversationId, resolvedBy: `client ${svc.init.clientId}` });
    const appended = released.body.resultMessageId as string;
    expect((await messagesOf(c.conversationId)).map((m) => m.id)).toContain(appended);
    const decision = (await svc.api('GET', `/api/v2/conversations/emails/${c.conversationId}/messages/${appended}/threading`)).body;
    expect(decision.authentication).toMatchObject({ rule: 'released', reason: expect.stringContaining('DMARC fail') });
    expect((await svc.api('POST', `/api/v2/routing/email/quarantine/${a}/release`, { body: { into: 'conversation' } })).status).toBe(409);

    const asNew = await svc.api('POST', `/api/v2/routing/email/quarantine/${b}/release`, { body: { into: 'new' } });
    expect(asNew.body.conversationId).not.toBe(c.conversationId);
    expect((await svc.api('GET', `/api/v2/conversations/emails/${asNew.body.conversationId}`)).status).toBe(200);

    const dropped = await svc.api('POST', `/api/v2/routing/email/quarantine/${d}/drop`);
    expect(dropped.body).toMatchObject({ state: 'dropped', resolution: 'dropped' });
    expect((await held()).map((q) => q.id)).not.toContain(d);
    expect((await svc.api('GET', '/api/v2/routing/email/quarantine?state=dropped')).body.entities.map((q: { id: string }) => q.id)).toContain(d);
    expect((await svc.api('GET', '/api/v2/routing/email/quarantine/nope')).status).toBe(404);
    expect((await svc.api('POST', `/api/v2/routing/email/quarantine/${b}/release`, { body: { into: 'elsewhere' } })).status).toBe(400);
  });

  it('counts what it holds', async () => {
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(Number(/threadline_inbound_quarantined_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(8);
    expect(metrics).toMatch(/threadline_inbound_dmarc_total\{result="fail"\} \d+/);
  });
});
