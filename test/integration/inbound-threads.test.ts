import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createDnsResolver } from '../../src/dns/resolver.js';
import { inlinePreparer, threadPreparer, type Arrival } from '../../src/inbound/preparer.js';
import { ROOT } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { startService, tempDir } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';

// Inbound threads (src/inbound/preparer.ts): the compiled build parses and authenticates each
// message in a worker thread. The thread must find exactly what the in-line path finds, and a
// thread that dies must cost only a 451 (the sender retries), never a message.

const BUILT_THREAD = path.join(ROOT, 'dist', 'src', 'inbound', 'prepare-thread.js');
const MTA = 'replies.localhost';
const CRASH_HEADER = 'X-Test-Crash-Thread';

/** The real thread module, plus a listener that ends the thread on a message with CRASH_HEADER. */
function crashingThread(): string {
  const file = path.join(tempDir(), 'crashing-thread.mjs');
  fs.writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
await import(${JSON.stringify(pathToFileURL(BUILT_THREAD).href)});
parentPort.on('message', ({ request }) => { if (Buffer.from(request.raw).includes(${JSON.stringify(CRASH_HEADER)})) process.exit(7); });
`,
  );
  return file;
}

const FIXTURES = ['replies/talon__gmail.eml', 'replies/flanker__iphone.eml', 'autoreplies/sisimai__rfc3834-01.eml', 'bounces/bounceparser__aol.unknown.msg.eml'];
const arrival = (fixture: string): Arrival => ({
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
});
