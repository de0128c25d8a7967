import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createDnsResolver } from '../../src/dns/resolver.js';
import { type Arrival, inlinePreparer, type Preparer, threadPreparer } from '../../src/inbound/preparer.js';
import { ROOT } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { nestedDivs } from '../helpers/hostile-mail.js';
import { sendBody, startService, type TestService, tempDir } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';

// Inbound threads (src/inbound/preparer.ts): the compiled build parses and authenticates each
// message in a worker thread. The thread must find exactly what the in-line path finds, and a
// thread that dies must cost only a 451 (the sender retries), never a message.

const BUILT_THREAD = path.join(ROOT, 'dist', 'src', 'inbound', 'prepare-thread.js');
const MTA = 'replies.localhost';
const CRASH_HEADER = 'X-Test-Crash-Thread';
const SPIN_HEADER = 'X-Test-Spin-Thread';

/**
 * The real thread module, plus a listener that ends the thread on a message with CRASH_HEADER,
 * or spins for ever (a stage no size bound foresaw) on one with SPIN_HEADER.
 */
function crashingThread(): string {
  const file = path.join(tempDir(), 'crashing-thread.mjs');
  fs.writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
import fs from 'node:fs';
await import(${JSON.stringify(pathToFileURL(BUILT_THREAD).href)});
parentPort.on('message', ({ request }) => {
  const raw = request.spool ? fs.readFileSync(request.spool.file) : Buffer.from(request.raw);
  if (raw.includes(${JSON.stringify(CRASH_HEADER)})) process.exit(7);
  // After the handler has started (it runs on a microtask) and said which stage it is in.
  if (raw.includes(${JSON.stringify(SPIN_HEADER)})) setImmediate(() => { for (;;); });
});
`,
  );
  return file;
}

/** `preparer`, and a promise of the first message it is given that contains `marker`. */
function watched(preparer: Preparer, marker: string) {
  let seen!: () => void;
  const started = new Promise<void>((r) => (seen = r));
  const spy: Preparer = {
    examine(a) {
      if ((a.spool ? fs.readFileSync(a.spool.file) : Buffer.from(a.raw!)).includes(marker)) seen();
      return preparer.examine(a);
    },
    ready: () => preparer.ready!(),
    close: () => preparer.close(),
  };
  return { spy, started };
}

/**
 * Sends `hostile` to a fresh conversation's reply address and, once the inbound path has it,
 * an ordinary reply to the same conversation; returns how long that one took to get its 250.
 */
async function ordinaryBesideHostile(svc: TestService, preparer: Preparer, started: Promise<void>, hostile: (token: string) => string) {
  // A thread still loading its modules (seconds on a busy machine) is no spare.
  await preparer.ready!();
  const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: 'Order 7' }) });
  const token = sent.body.replyToAddress.email as string;
  const port = svc.running.smtpPort;
  let hostileAnswered = false;
  const hostileReply = deliver(port, { from: 'customer@example.com', to: [token], raw: hostile(token) }).finally(() => {
    hostileAnswered = true;
  });
  await started;
  const gmail = fs.readFileSync(path.join(ROOT, 'fixtures', 'replies', 'talon__gmail.eml'));
  const ordinary = await deliver(port, { from: 'xxx@gmail.com', to: [token], raw: withHeaders(gmail, { To: token, 'Message-Id': '<ordinary@mail.gmail.com>' }) });
  expect(ordinary).toMatch(/^250 /);
  // Answered while the hostile one is still being examined: it did not wait behind it.
  const answeredFirst = !hostileAnswered;
  const messages = async () => (await svc.api('GET', `/api/v2/conversations/emails/${sent.body.conversationId}/messages`)).body.entities as Array<Record<string, any>>;
  // Threaded into the conversation while the hostile one is still in the works.
  expect((await messages()).find((m) => m.messageId === '<ordinary@mail.gmail.com>')).toMatchObject({ inbound: { kind: 'reply', replyText: 'Hello' } });
  expect(await hostileReply).toMatch(/^250 /);
  const stored = (await messages()).find((m) => m.messageId === '<hostile@example.com>');
  return { answeredFirst, stored };
}

const hostileHeaders = (token: string, extra: Record<string, string> = {}) => ({
  From: 'Pat Customer <customer@example.com>',
  To: token,
  Subject: 'Re: Order 7',
  'Message-ID': '<hostile@example.com>',
  ...extra,
});

const FIXTURES = ['replies/talon__gmail.eml', 'replies/flanker__iphone.eml', 'autoreplies/sisimai__rfc3834-01.eml', 'bounces/bounceparser__aol.unknown.msg.eml'];
const arrival = (fixture: string): Arrival & { raw: Buffer } => ({
  raw: fs.readFileSync(path.join(ROOT, 'fixtures', fixture)),
  envelopeFrom: 'sender@example.com',
  remoteAddress: '127.0.0.1',
  helo: 'mx.example.com',
});

beforeAll(() => {
  if (!fs.existsSync(BUILT_THREAD)) throw new Error(`${BUILT_THREAD} is missing: run \`npm run build\` (npm test does it first)`);
});

describe('inbound threads', () => {
  it('finds in a thread exactly what the in-line path finds', async () => {
    const dns = await startDnsServer({
      'example.com': [{ type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' }],
      '_dmarc.example.com': [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
    });
    const threads = threadPreparer({ mta: MTA, dnsServers: [dns.address] }, { threads: 2, timeLimitMs: 10_000 }, BUILT_THREAD)!;
    onTestFinished(() => threads.close());
    const inline = inlinePreparer(MTA, createDnsResolver({ servers: [dns.address] }).lookup);
    for (const fixture of FIXTURES) {
      const a = arrival(fixture);
      const [inThread, inLine] = await Promise.all([threads.examine(a), inline.examine(a)]);
      expect(inThread, fixture).toEqual(inLine);
    }
    // The caller's bytes are left as they were (the thread gets a copy).
    const a = arrival(FIXTURES[0]!);
    const before = Buffer.from(a.raw);
    await threads.examine(a);
    expect(Buffer.from(a.raw).equals(before)).toBe(true);
  });

  it('fails only the messages of a thread that dies, and starts a new thread for the next', async () => {
    const dns = await startDnsServer();
    const threads = threadPreparer({ mta: MTA, dnsServers: [dns.address] }, { threads: 1, timeLimitMs: 10_000 }, crashingThread())!;
    onTestFinished(() => threads.close());
    const good = arrival(FIXTURES[0]!);
    const bad = { ...good, raw: Buffer.from(withHeaders(Buffer.from(good.raw), { [CRASH_HEADER]: 'yes' })) };
    await expect(threads.examine(bad)).rejects.toMatchObject({ code: 'ETHREAD' });
    await expect(threads.examine(good)).resolves.toMatchObject({ p: { kind: { kind: 'reply' } } });
  });

  it('answers 451 over SMTP when the thread dies, and 250 to the retry', async () => {
    const dns = await startDnsServer();
    const svc = await startService({}, { dns, preparer: threadPreparer({ mta: MTA, dnsServers: [dns.address] }, { threads: 1, timeLimitMs: 10_000 }, crashingThread())! });
    const port = svc.running.smtpPort;
    const gmail = fs.readFileSync(path.join(ROOT, 'fixtures', 'replies', 'talon__gmail.eml'));
    const crash = withHeaders(gmail, { 'Message-Id': '<thread-crash@example.com>', [CRASH_HEADER]: 'yes' });
    expect(await deliver(port, { from: 'xxx@gmail.com', to: ['support@replies.localhost'], raw: crash })).toMatch(/^451 4\.3\.0/);
    const stored = () => svc.running.services.batcher.run((trx) => trx.selectFrom('messages').select('id').where('message_id_header', '=', 'thread-crash@example.com').execute());
    expect(await stored()).toEqual([]);
    // The sender's retry, this time through a healthy thread.
    const retry = withHeaders(gmail, { 'Message-Id': '<thread-crash@example.com>' });
    expect(await deliver(port, { from: 'xxx@gmail.com', to: ['support@replies.localhost'], raw: retry })).toMatch(/^250 /);
    expect(await stored()).toHaveLength(1);
  });

  it('answers an ordinary reply while an 11 MB reply of nested <div>s is still being examined', async () => {
    const dns = await startDnsServer();
    const { spy, started } = watched(threadPreparer({ mta: MTA, dnsServers: [dns.address] }, { threads: 1, timeLimitMs: 10_000 }, BUILT_THREAD)!, 'hostile@example.com');
    const svc = await startService({}, { dns, preparer: spy });
    const { answeredFirst, stored } = await ordinaryBesideHostile(svc, spy, started, (token) => nestedDivs(hostileHeaders(token)));
    expect(answeredFirst).toBe(true);
    // Only its start is parsed (and its HTML, too long, not converted).
    expect(stored).toMatchObject({
      subject: 'Re: Order 7',
      inbound: {
        kind: 'reply',
        skipped: [
          { stage: 'parse', reason: expect.stringMatching(/^the message is \d+ bytes: its text was read from the first /) },
          { stage: 'reply-text', reason: expect.stringMatching(/^HTML not converted to text/) },
        ],
      },
    });
  });

  it('stops a thread stuck past the time limit, stores its message with the stage skipped, and answers the others meanwhile', async () => {
    const dns = await startDnsServer();
    const { spy, started } = watched(threadPreparer({ mta: MTA, dnsServers: [dns.address] }, { threads: 1, timeLimitMs: 1500 }, crashingThread())!, 'hostile@example.com');
    const svc = await startService({}, { dns, preparer: spy });
    const hostile = (token: string) =>
      `${Object.entries(hostileHeaders(token, { [SPIN_HEADER]: 'yes' }))
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\nWhere is my order?\r\n`;
    const { answeredFirst, stored } = await ordinaryBesideHostile(svc, spy, started, hostile);
    expect(answeredFirst).toBe(true);
    // Kept as it is (its bytes), threaded by its headers, with what was not done and why.
    expect(stored).toMatchObject({
      subject: 'Re: Order 7',
      textBody: '',
      inbound: {
        skipped: [
          { stage: 'parse', reason: 'stopped: parse kept its thread busy past the time limit of 1500 ms' },
          { stage: 'authentication', reason: 'not run: parse went past the time limit' },
        ],
        authenticationResults: expect.stringMatching(/; none \(authentication skipped: stopped: parse kept its thread busy past the time limit/),
      },
    });
    const raw = await svc.api('GET', `${stored!.selfUri}/raw`);
    expect(raw.body).toContain('Where is my order?');
  });
});
