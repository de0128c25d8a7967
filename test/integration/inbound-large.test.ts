import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BIN, BUILT, childEnv, killChildren, ROOT, type Served, serve } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { deliver } from '../helpers/smtp-client.js';

// Large inbound messages as an operator's process takes them: the built CLI in a child process.
// A 20 MB reply is stored and read back byte for byte through the raw-source route, also after a
// restart, and taking several at once does not take memory in proportion to their number.

afterAll(killChildren);

const MB = 1024 * 1024;
const LARGE_BYTES = 20 * MB;
const AT_ONCE = 6;
/** Far above what one message at a time takes beside the first, far below what six copies would. */
const GROWTH_BOUND = 80 * MB;

/** The kernel's high-water mark of the process's resident memory, in bytes. */
const peakRss = (pid: number) => Number(/^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** A reply to `to` with a PDF-like attachment of `bytes` (base64, lines of 76), distinct by `n`. */
function largeReply(to: string, n: number, bytes: number): string {
  const payload = Buffer.alloc(Math.ceil((bytes * 3) / 4));
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + n * 7 + (i >> 10)) & 0xff;
  const b64 = payload.toString('base64').replace(/.{76}/g, '$&\r\n');
  return [
    'From: Pat Customer <customer@example.com>',
    `To: ${to}`,
    `Subject: Re: Invoice ${n}`,
    `Message-ID: <large-${n}@mail.example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Here is the scan you asked for (${n}).`,
    '--b',
    'Content-Type: application/pdf; name="scan.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    b64,
    '--b--',
    '',
  ].join('\r\n');
}

describe('large inbound messages', () => {
  beforeAll(() => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (\`npm test\` does it).`);
  });

  it('stores a 20 MB reply byte for byte, keeps it across a restart, and takes several at once in bounded memory', { timeout: 240_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-inbound-large-'));
    onTestFinished(async () => {
      await killChildren();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const dns = await startDnsServer();
    const vars = {
      THREADLINE_DATA_DIR: dataDir,
      THREADLINE_DNS_SERVERS: dns.address,
      THREADLINE_INBOUND_AUTH: 'monitor',
      THREADLINE_OUTBOUND_URL: 'capture',
      THREADLINE_SECRET: `${'decaf'.repeat(12)}beef`,
      THREADLINE_LOG_LEVEL: 'warn',
    };
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'init', '--json'], { cwd: ROOT, env: childEnv(vars), timeout: 30_000 });
    const init = JSON.parse(stdout.trim().split('\n').pop()!) as { clientId: string; clientSecret: string; senderDomain: string };

    let served: Served = await serve(vars);
    const tokenRes = await fetch(`${served.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${init.clientId}:${init.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const auth = { authorization: `Bearer ${((await tokenRes.json()) as { access_token: string }).access_token}` };
    const sent = (await (
      await fetch(`${served.url}/api/v2/conversations/emails/agentless`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          senderType: 'Outbound',
          fromAddress: { email: `billing@${init.senderDomain}` },
          toAddresses: [{ email: 'customer@example.com' }],
          subject: 'Invoice',
          textBody: 'Please send the scan.',
        }),
      })
    ).json()) as { conversationId: string; replyToAddress: { email: string } };
    const to = sent.replyToAddress.email;
    const rawSource = async (id: string) => {
      const res = await fetch(`${served.url}/api/v2/conversations/emails/${sent.conversationId}/messages/${id}/raw`, { headers: auth });
      expect(res.status).toBe(200);
      return Buffer.from(await res.arrayBuffer());
    };
    const send = async (n: number) => {
      const raw = largeReply(to, n, LARGE_BYTES);
      const reply = await deliver(served.smtpPort, { from: 'customer@example.com', to: [to], raw });
      expect(reply).toMatch(/^250 /);
      return { raw, id: reply.split(' ').at(-1)! };
    };

    // One at a time first: the process's peak with one large message in hand.
    const first = await send(0);
    expect((await rawSource(first.id)).equals(Buffer.from(first.raw))).toBe(true);
    const onePeak = peakRss(served.child.pid!);

    const many = await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => send(i + 1)));
    const manyPeak = peakRss(served.child.pid!);
    expect(manyPeak - onePeak, `peak ${Math.round(onePeak / MB)} MB with one message, ${Math.round(manyPeak / MB)} MB with ${AT_ONCE} at once`).toBeLessThan(GROWTH_BOUND);

    // After a SIGKILL and a restart on the same data folder, every one is still there, whole.
    served.child.kill('SIGKILL');
    await served.exited;
    served = await serve(vars);
    for (const m of [first, ...many]) expect((await rawSource(m.id)).equals(Buffer.from(m.raw))).toBe(true);
    const list = (await (await fetch(`${served.url}/api/v2/conversations/emails/${sent.conversationId}/messages`, { headers: auth })).json()) as {
      entities: Array<{ id: string; textBody?: string }>;
    };
    expect(list.entities.find((m) => m.id === first.id)?.textBody).toContain('Here is the scan you asked for (0).');
  });
});
