import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BIN, BUILT, childEnv, killChildren, ROOT, serve } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { waitFor } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';

// No threadline left running, even when an assertion failed half-way.
afterAll(killChildren);

// "250 means stored": the built CLI serves in a child process, customers' replies arrive over
// SMTP several at a time, and the process is killed with SIGKILL while some are answered and
// more are in flight. After a restart on the same data folder every reply that was answered 250
// must be there, threaded into its conversation, with its raw bytes, its threading decision and
// its work item (one transaction). A reply stored whose 250 never reached the sender is allowed
// (the sender retries; the duplicate check catches it) and is reported.

const SECRET = `${'decaf'.repeat(12)}beef`; // fixed, so reply tokens survive the restart

const CONVERSATIONS = 10;
const SENDERS = 20;
const LOAD_MS = 2_000;
/** Killed only with at least this many replies answered 250, or the test proves little. */
const MIN_ACKED = 100;
/** Longest a session may take before the kill (a session cut by the kill may never end). */
const SESSION_MS = 10_000;

const withDeadline = <T>(p: Promise<T>, ms: number, fallback: T) => Promise.race([p, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms).unref())]);

interface Reply {
  n: number;
  header: string;
  conversationId: string;
}

describe('inbound SMTP and SIGKILL', () => {
  beforeAll(() => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (\`npm test\` does it).`);
  });

  it('keeps every reply it answered 250 after a SIGKILL under load', { timeout: 120_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-inbound-crash-'));
    onTestFinished(async () => {
      await killChildren();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const dns = await startDnsServer();
    const vars = {
      THREADLINE_DATA_DIR: dataDir,
      THREADLINE_DNS_SERVERS: dns.address,
      // Durability is under test here, not authentication: every reply is taken in.
      THREADLINE_INBOUND_AUTH: 'monitor',
      THREADLINE_OUTBOUND_URL: 'capture',
      THREADLINE_SECRET: SECRET,
      THREADLINE_RATE_LIMIT_PER_MINUTE: '1000000',
      THREADLINE_LOG_LEVEL: 'warn',
    };
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'init', '--json'], { cwd: ROOT, env: childEnv(vars), timeout: 30_000 });
    const init = JSON.parse(stdout.trim().split('\n').pop()!) as { clientId: string; clientSecret: string; senderDomain: string; inboundDomain: string };

    const first = await serve(vars);
    const tokenRes = await fetch(`${first.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${init.clientId}:${init.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(tokenRes.status).toBe(200);
    const auth = { authorization: `Bearer ${((await tokenRes.json()) as { access_token: string }).access_token}` };
    const api = async (url: string, p: string, body?: unknown) => {
      const res = await fetch(`${url}${p}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    // The conversations the customers answer: agentless emails, with the Message-ID each was sent with.
    const conversations: Array<{ id: string; messageId: string; replyTo: string }> = [];
    for (let i = 0; i < CONVERSATIONS; i++) {
      const sent = await api(first.url, '/api/v2/conversations/emails/agentless', {
        senderType: 'Outbound',
        fromAddress: { email: `notifications@${init.senderDomain}`, name: 'Example Shop' },
        toAddresses: [{ email: `customer${i}@example.com` }],
        subject: `Order ${i} has shipped`,
        textBody: 'Your parcel is on its way.',
      });
      expect(sent.status).toBe(202);
      const message = await api(first.url, sent.body.selfUri);
      conversations.push({ id: sent.body.conversationId, messageId: message.body.messageId, replyTo: sent.body.replyToAddress.email });
    }

    // A real Gmail reply, made distinct per send; half go to the reply-token address, half to a
    // plain address and thread by In-Reply-To.
    const base = fs.readFileSync(path.join(ROOT, 'fixtures/replies/talon__gmail.eml'));
    const attempted = new Map<string, Reply>();
    const acked = new Map<string, Reply & { storedId: string }>();
    const refused: string[] = [];
    const failedBeforeKill: string[] = [];
    let killed = false;
    let inFlight = 0;
    let seq = 0;
    const senders = Array.from({ length: SENDERS }, async () => {
      while (!killed) {
        const n = seq++;
        const conv = conversations[n % CONVERSATIONS]!;
        const header = `crash-${n}@mail.gmail.com`;
        const to = n % 2 === 0 ? conv.replyTo : `support@${init.inboundDomain}`;
        const raw = withHeaders(base, {
          'Message-Id': `<${header}>`,
          To: to,
          'In-Reply-To': conv.messageId,
          References: conv.messageId,
          Subject: `Re: Order ${n % CONVERSATIONS} has shipped`,
        });
        attempted.set(header, { n, header, conversationId: conv.id });
        inFlight++;
        const reply = await withDeadline(
          deliver(first.smtpPort, { from: 'xxx@gmail.com', to: [to], raw }).catch((err: Error) => `error ${err.message}`),
          SESSION_MS,
          'no answer',
        );
        inFlight--;
        if (reply.startsWith('250')) acked.set(header, { n, header, conversationId: conv.id, storedId: reply.split(' ').at(-1)! });
        else if (!killed) (reply.startsWith('error') ? failedBeforeKill : refused).push(`#${n}: ${reply}`);
      }
    });

    const started = Date.now();
    await waitFor(
      () => (Date.now() - started >= LOAD_MS && acked.size >= MIN_ACKED && inFlight > 0 ? true : undefined),
      30_000,
      `${MIN_ACKED} replies answered 250 and more in flight`,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (answered ${acked.size}, in flight ${inFlight}, refused ${refused.length}, failed ${failedBeforeKill.length}):\n${first.output()}`);
    });
    const inFlightAtKill = inFlight;
    killed = true;
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Whatever the dead process wrote is in our sockets by now; a session still waiting never hears more.
    await withDeadline(Promise.all(senders), 2_000, []);
    expect(refused, 'replies refused before the kill').toEqual([]);
    expect(failedBeforeKill, 'sessions that failed before the kill').toEqual([]);

    // The restarted service has them, threaded into the conversation each one answers.
    const second = await serve(vars);
    const nearKill = [...acked.values()].sort((a, b) => b.n - a.n).slice(0, 20);
    for (const a of nearKill) {
      const why = await api(second.url, `/api/v2/conversations/emails/${a.conversationId}/messages/${a.storedId}/threading`);
      expect(why.status, `reply #${a.n} after the restart: ${JSON.stringify(why.body)}`).toBe(200);
      expect(why.body).toMatchObject({ outcome: 'threaded', conversationId: a.conversationId, signal: a.n % 2 === 0 ? 'reply-token' : 'in-reply-to' });
    }
    // And it takes mail again.
    const conv = conversations[0]!;
    const after = await deliver(second.smtpPort, { from: 'xxx@gmail.com', to: [conv.replyTo], raw: withHeaders(base, { 'Message-Id': '<after-restart@mail.gmail.com>', To: conv.replyTo }) });
    expect(after).toMatch(/^250 /);
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });

    // Every row of each stored reply, read from the file once no process has it open.
    const db = new SQLite(path.join(dataDir, 'threadline.db'), { readonly: true });
    onTestFinished(() => void db.close());
    const stored = db
      .prepare(
        `select m.id, m.message_id_header as header, m.conversation_id as conversationId,
                (select count(*) from raw_messages r where r.message_id = m.id) as raw,
                (select count(*) from inbound_details d where d.message_id = m.id) as details,
                (select count(*) from threading_decisions t where t.message_id = m.id) as decisions,
                (select count(*) from work_item_events e where e.detail = m.id and e.type in ('enqueued', 'message_added')) as queued
         from messages m where m.direction = 'inbound' and m.message_id_header like 'crash-%'`,
      )
      .all() as Array<{ id: string; header: string; conversationId: string; raw: number; details: number; decisions: number; queued: number }>;
    const byHeader = new Map(stored.map((s) => [s.header, s]));
    expect(byHeader.size, 'each reply stored once').toBe(stored.length);

    const lost = [...acked.values()].filter((a) => byHeader.get(a.header)?.id !== a.storedId).map((a) => `#${a.n}`);
    expect(lost, 'replies answered 250 but not stored after the restart').toEqual([]);
    const misplaced = stored.filter((s) => attempted.get(s.header)?.conversationId !== s.conversationId).map((s) => s.header);
    expect(misplaced, 'replies stored in another conversation, or never sent').toEqual([]);
    const incomplete = stored.filter((s) => s.raw !== 1 || s.details !== 1 || s.decisions !== 1 || s.queued !== 1).map((s) => s.header);
    expect(incomplete, 'replies stored without their raw bytes, details, decision or work item').toEqual([]);

    const storedNotAcked = stored.filter((s) => !acked.has(s.header)).length;
    const unanswered = attempted.size - acked.size;
    console.log(
      `inbound-crash: ${acked.size} replies answered 250 before the kill, ${inFlightAtKill} in flight at the kill, ` +
        `${unanswered} sent without a 250 (${storedNotAcked} of those stored anyway, allowed), ${stored.length} stored in all, none lost`,
    );
    expect(acked.size).toBeGreaterThanOrEqual(MIN_ACKED);
    expect(inFlightAtKill).toBeGreaterThan(0);
  });
});
