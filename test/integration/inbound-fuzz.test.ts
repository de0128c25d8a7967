import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { dkimSign } from 'mailauth';
import { beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer } from '../helpers/dns-server.js';
import { sendBody, startService, type TestService } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';

// The inbound path fuzzed: real replies from the fixtures, mutated (forged and repeated From
// fields, groups, broken structure, truncation, flipped bytes, huge lines, deep nesting), sent
// over SMTP from a server that authenticates only its own domain, attacker.test. Whatever
// arrives: an answer within the bound, never a 4xx for the input alone, the service still
// answering, and nothing appended to the customer's conversation (only customer.test's own
// server, 127.0.0.2, can authenticate the customer).
// FUZZ_SEED and FUZZ_RUNS explore further; the default seed keeps the suite repeatable.

const CUSTOMER_SERVER = '127.0.0.2';
const ATTACKER_SERVER = '127.0.0.3';
const ANSWER_MS = 10_000;
// Mallory's own DKIM key: she signs what she sends with d=attacker.test, and it verifies.
const mallorysKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const seed = Number(process.env.FUZZ_SEED ?? 20261201);
const runs = Number(process.env.FUZZ_RUNS ?? 60);

const replies = fs
  .readdirSync('fixtures/replies')
  .filter((f) => f.endsWith('.eml'))
  .map((f) => fs.readFileSync(path.join('fixtures/replies', f), 'latin1'));

let svc: TestService;
beforeAll(async () => {
  // customer.test publishes SPF and no DMARC, so the customer-aligned rules decide, the ones the
  // forged-From attacks aimed at; attacker.test authenticates itself perfectly.
  const dns = await startDnsServer({
    'customer.test': [{ type: 'TXT', data: `v=spf1 ip4:${CUSTOMER_SERVER} -all` }],
    'attacker.test': [{ type: 'TXT', data: `v=spf1 ip4:${ATTACKER_SERVER} -all` }],
    '_dmarc.attacker.test': [{ type: 'TXT', data: 'v=DMARC1; p=none' }],
    's1._domainkey.attacker.test': [{ type: 'TXT', data: `v=DKIM1; k=rsa; p=${mallorysKey.publicKey.toString('base64')}` }],
  });
  svc = await startService({ THREADLINE_INBOUND_AUTH: 'require' }, { dns });
});

const CUSTOMER = 'pat@customer.test';
const MALLORY = 'mallory@attacker.test';

/** From fields an attacker writes so that one reader sees the customer and another Mallory. */
const forgedFroms = fc.constantFrom(
  [`From: Pat <${CUSTOMER}>`, `From : <${MALLORY}>`],
  [`From : <${MALLORY}>`, `From: Pat <${CUSTOMER}>`],
  [`From\t: <${MALLORY}>`, `From: Pat <${CUSTOMER}>`],
  [`FROM: <${MALLORY}>`, `From: Pat <${CUSTOMER}>`],
  [`From: Pat <${CUSTOMER}>`, `FROM: <${MALLORY}>`],
  [`From: <${MALLORY}>`, `From: Pat <${CUSTOMER}>`],
  [`From: undisclosed:;, <${MALLORY}>`],
  [`From: g: <${CUSTOMER}>;, <${MALLORY}>`],
  [`From: g: <${CUSTOMER}>;`],
  [`From: <${CUSTOMER}>, <${MALLORY}>`],
  [`From: "${CUSTOMER}" <${MALLORY}>`],
  [`From: ${CUSTOMER} (${MALLORY})`],
  [`From: =?utf-8?q?Pat_=3C${CUSTOMER.replace('@', '=40')}=3E?= <${MALLORY}>`],
  [`From: Pat <${CUSTOMER}`],
  [`From: Pat <${CUSTOMER}>`, `Sender: <${MALLORY}>`],
  [`From:\t<${CUSTOMER}>\r\n\t`, `Reply-To: <${MALLORY}>`],
  [`From: <${CUSTOMER}>;<${MALLORY}>`],
  [`From: Pat <pat@customer.test.>`],
  [`From: Pat <pat@CUSTOMER.test>`, `From:<${MALLORY}>`],
);

type Mutation = (raw: string) => string;
const unchanged: Mutation = (raw) => raw;
// Unchanged most often: a forged From alone, well formed and authenticated by its own domain,
// is the attack that counts; the rest try the parsers.
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.constant(unchanged), weight: 6 },
  fc.nat().map<Mutation>((n) => (raw) => raw.slice(0, (n % raw.length) + 1)),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 40 }).map<Mutation>((flips) => (raw) => {
    const b = Buffer.from(raw, 'latin1');
    for (const [at, byte] of flips) b[at % b.length] = byte;
    return b.toString('latin1');
  }),
  fc.integer({ min: 1_000, max: 1_200_000 }).map<Mutation>((n) => (raw) => `X-Long: ${'a'.repeat(n)}\r\n${raw}`),
  fc.integer({ min: 100, max: 20_000 }).map<Mutation>((n) => (raw) => `${'X-Many: x\r\n'.repeat(n)}${raw}`),
  fc.integer({ min: 10, max: 2_000 }).map<Mutation>((depth) => (raw) => {
    const head = raw.slice(0, raw.search(/\r?\n\r?\n/) + 1).replace(/^Content-Type:.*(\r?\n[ \t].*)*\r?\n/gim, '');
    let body = 'innermost\r\n';
    for (let i = depth; i > 0; i--) body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--\r\n`;
    return `${head}${body}`;
  }),
  fc.integer({ min: 1_000, max: 100_000 }).map<Mutation>((depth) => (raw) => {
    const head = raw.slice(0, raw.search(/\r?\n\r?\n/) + 1).replace(/^Content-(Type|Transfer-Encoding):.*(\r?\n[ \t].*)*\r?\n/gim, '');
    return `${head}Content-Type: text/html\r\n\r\n${'<div>'.repeat(depth)}hello${'</div>'.repeat(depth)}\r\n`;
  }),
);

async function conversation() {
  const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: CUSTOMER, name: 'Pat' }] }) });
  expect(sent.status).toBe(202);
  const m = await svc.api('GET', sent.body.selfUri);
  return { id: sent.body.conversationId as string, token: sent.body.replyToAddress.email as string, messageId: m.body.messageId as string };
}
const inboundCount = async (conversationId: string) =>
  ((await svc.api('GET', `/api/v2/conversations/emails/${conversationId}/messages`)).body.entities as Array<{ direction: string }>).filter((m) => m.direction === 'inbound').length;

describe('inbound path, fuzzed', { timeout: 300_000 }, () => {
  it('threads a genuine reply from the customer (the property below would be empty otherwise)', async () => {
    const c = await conversation();
    const raw = withHeaders(replies[0]!, { From: `Pat <${CUSTOMER}>`, To: c.token, 'Message-ID': '<genuine@customer.test>', 'DKIM-Signature': null });
    expect(await deliver(svc.running.smtpPort, { from: CUSTOMER, to: [c.token], raw, localAddress: CUSTOMER_SERVER, helo: 'mx.customer.test' })).toMatch(/^250/);
    expect(await inboundCount(c.id)).toBe(1);
  });

  it('never appends a mutated or forged reply, answers each in time, never 4xx', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(replies.length - 1), forgedFroms, mutation, fc.boolean(), fc.boolean(), async (pick, froms, mutate, byToken, signed) => {
        const c = await conversation();
        const to = byToken ? c.token : `support@${svc.init.inboundDomain}`;
        const base = withHeaders(replies[pick]!, {
          From: null,
          Sender: null,
          'Reply-To': null,
          To: to,
          'Message-ID': `<fuzz-${++n}@attacker.test>`,
          'In-Reply-To': c.messageId,
          References: c.messageId,
          'DKIM-Signature': null,
        }).replace(/\r?\n/g, '\r\n');
        let raw = mutate(`${froms.join('\r\n')}\r\n${base}`);
        if (signed) {
          const key = { signingDomain: 'attacker.test', selector: 's1', privateKey: mallorysKey.privateKey };
          raw = (await dkimSign(raw, { ...key, canonicalization: 'relaxed/relaxed', signatureData: [key] })).signatures + raw;
        }
        const started = Date.now();
        const answer = await deliver(svc.running.smtpPort, { from: MALLORY, to: [to], raw, localAddress: ATTACKER_SERVER, helo: 'mx.attacker.test' });
        expect(Date.now() - started, 'answered within the bound').toBeLessThan(ANSWER_MS);
        expect(answer, 'an answer for the input, not a temporary failure').toMatch(/^(250|5\d\d)/);
        expect(await inboundCount(c.id), 'nothing appended without an authenticated author').toBe(0);
      }),
      {
        seed,
        numRuns: runs,
        interruptAfterTimeLimit: 180_000,
        markInterruptAsFailure: false,
        // The reproductions of issue #11 first (each was once threaded), then generated cases.
        examples: [
          [0, [`From : <${MALLORY}>`, `From: Pat <${CUSTOMER}>`], unchanged, true, false],
          [0, [`From : <${MALLORY}>`, `From: Pat <${CUSTOMER}>`], unchanged, false, false],
          [0, [`From: undisclosed:;, <${MALLORY}>`], unchanged, true, true],
          [0, [`From: g: <${CUSTOMER}>;, <${MALLORY}>`], unchanged, true, true],
        ],
      },
    );
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
  });
});
