import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_LEASE_MS } from '../../src/delivery/worker.js';
import { verifySenderDomain } from '../../support/verify-domain.js';
import { BIN, BUILT, childEnv, killChildren, ROOT, serve } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { pool, waitFor } from '../helpers/service.js';
import { startSink } from '../helpers/smtp-sink.js';

// No threadline left running, even when an assertion failed half-way.
afterAll(killChildren);

// "Nothing lost": the built CLI serves in a child process, sends are accepted and delivered to
// a sink at full speed, and the process is killed with SIGKILL (no shutdown code runs). After a
// restart on the same data folder, every send that was answered 2xx must reach the sink at
// least once and read as `sent`. Duplicates are allowed (at-least-once) and reported.

const SECRET = `${'c0ffee'.repeat(10)}beef`; // 64 characters, fixed so tokens survive the restart

const IN_FLIGHT = 20;
const LOAD_MS = 1_500;
/** Killed only with at least this many accepted sends not yet at the sink, or the test proves nothing. */
const MIN_BACKLOG = 20;

/** The Message-ID header of a raw message, unfolded: `<hex.sig@domain>`. */
function messageIdOf(raw: Buffer): string | null {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const headers = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return /^message-id:\s*(<[^>\s]+>)/im.exec(headers)?.[1] ?? null;
}

describe('crash recovery', () => {
  beforeAll(() => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (\`npm test\` does it).`);
  });

  it('delivers every accepted send after a SIGKILL mid-delivery', { timeout: 180_000 }, async () => {
    // Cleanup is registered here, not through the helpers' afterAll, which vitest 4 ignores
    // when it is called inside a test.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-crash-'));
    const sink = await startSink();
    onTestFinished(async () => {
      await killChildren();
      await sink.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    // Both processes share the data folder and, on integration-pg, one PostgreSQL database.
    const databaseUrl = await testDatabaseUrl();
    const dns = await startDnsServer();
    const vars = {
      THREADLINE_DNS_SERVERS: dns.address,
      THREADLINE_DATA_DIR: dataDir,
      ...(databaseUrl ? { THREADLINE_DATABASE_URL: databaseUrl } : {}),
      THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}`,
      THREADLINE_SECRET: SECRET,
      THREADLINE_RATE_LIMIT_PER_MINUTE: '1000000',
      THREADLINE_LOG_LEVEL: 'warn',
      THREADLINE_DELIVERY_THREADS: '2',
    };

    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'init', '--json'], { cwd: ROOT, env: childEnv(vars), timeout: 30_000 });
    const init = JSON.parse(stdout.trim().split('\n').pop()!) as { clientId: string; clientSecret: string; senderDomain?: string };
    const senderDomain = init.senderDomain ?? 'notify.localhost';

    const first = await serve(vars);
    const tokenRes = await fetch(`${first.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${init.clientId}:${init.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(tokenRes.status).toBe(200);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const auth = { authorization: `Bearer ${token}` };
    // Relaying refuses a sender domain whose DNS records do not verify.
    await verifySenderDomain({ url: first.url, token, domain: senderDomain, zone: dns.zone });

    // Load: IN_FLIGHT sends at a time until the kill; a send counts only when answered 2xx.
    const accepted: Array<{ id: string; conversationId: string; n: number }> = [];
    const refused: string[] = [];
    let stop = false;
    let seq = 0;
    const load = Array.from({ length: IN_FLIGHT }, async () => {
      while (!stop) {
        const n = seq++;
        try {
          const res = await fetch(`${first.url}/api/v2/conversations/emails/agentless`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({
              senderType: 'Outbound',
              fromAddress: { email: `notifications@${senderDomain}`, name: 'Crash Test' },
              toAddresses: [{ email: `customer${n}@example.com` }],
              subject: `crash-recovery #${n}`,
              textBody: `Message ${n} must arrive even if threadline is killed.`,
            }),
          });
          const body = (await res.json()) as { id: string; conversationId: string };
          if (res.status >= 200 && res.status < 300) accepted.push({ id: body.id, conversationId: body.conversationId, n });
          else refused.push(`${res.status} ${JSON.stringify(body)}`);
        } catch {
          // The connection died with the process: the send was not acknowledged, so it does not count.
          if (stop) break;
        }
      }
    });

    // Kill while sends are being accepted and delivered, with a backlog not yet at the sink.
    const started = Date.now();
    await waitFor(
      () => (Date.now() - started >= LOAD_MS && sink.messages.length > 0 && accepted.length - sink.messages.length >= MIN_BACKLOG ? true : undefined),
      20_000,
      `load running ${LOAD_MS} ms with deliveries under way and a backlog of ${MIN_BACKLOG} (accepted ${accepted.length}, at the sink ${sink.messages.length})`,
    );
    stop = true;
    const acceptedAtKill = accepted.length;
    const sunkAtKill = sink.messages.length;
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await Promise.all(load);
    // What the dead process had handed over is in the sink now; what it had not, it owes.
    const sunkAtExit = sink.messages.length;
    expect(refused, 'sends refused before the kill').toEqual([]);

    const second = await serve(vars);
    const restarted = Date.now();
    const api = async (p: string) => {
      const res = await fetch(`${second.url}${p}`, { headers: auth });
      return { status: res.status, body: (await res.json()) as any };
    };

    // Each accepted send's Message-ID, as the restarted service reports it.
    const byMessageId = new Map<string, (typeof accepted)[number]>();
    await pool(accepted.length, 10, async (i) => {
      const a = accepted[i]!;
      const res = await api(`/api/v2/conversations/emails/${a.conversationId}/messages/${a.id}`);
      expect(res.status, `message #${a.n} after the restart: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.messageId).toMatch(new RegExp(`^<[0-9a-f]+\\.[0-9a-f]+@${senderDomain.replace(/\./g, '\\.')}>$`));
      byMessageId.set(res.body.messageId, a);
    });
    expect(byMessageId.size).toBe(accepted.length);

    const sunkCounts = () => {
      const counts = new Map<string, number>();
      for (const m of sink.messages) {
        const id = messageIdOf(m.raw);
        if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    };
    const undeliveredAtExit = (() => {
      const early = new Set(sink.messages.slice(0, sunkAtExit).map((m) => messageIdOf(m.raw)));
      return [...byMessageId.keys()].filter((id) => !early.has(id)).length;
    })();

    let missing: string[] = [];
    await waitFor(
      () => {
        const counts = sunkCounts();
        missing = [...byMessageId].filter(([id]) => !counts.has(id)).map(([, a]) => `#${a.n}`);
        return missing.length === 0 ? true : undefined;
      },
      // On PostgreSQL the restarted process cannot know the dead one is gone (it could be another
      // instance): what the dead one had claimed is taken again only when its lease runs out.
      30_000 + (databaseUrl ? DEFAULT_LEASE_MS : 0),
      'every accepted send to reach the sink',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; ${missing.length} missing (${missing.slice(0, 10).join(', ')}); restarted service said:\n${second.output()}`);
    });
    const drainMs = Date.now() - restarted;
    // Every message at the sink was matched by its header, so none escaped the count.
    expect(sink.messages.filter((m) => messageIdOf(m.raw) === null)).toEqual([]);

    // The service agrees: every accepted message reads as sent (its status is recorded just after
    // the sink's 250, so poll for it too).
    let notSent: string[] = [];
    await waitFor(
      async () => {
        notSent = [];
        await pool(accepted.length, 10, async (i) => {
          const a = accepted[i]!;
          const res = await api(`/api/v2/conversations/emails/${a.conversationId}/messages/${a.id}`);
          if (res.body.deliveryStatus?.status !== 'sent') notSent.push(`#${a.n}: ${res.body.deliveryStatus?.status}`);
        });
        return notSent.length === 0 ? true : undefined;
      },
      30_000,
      'every accepted message to read as sent',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; still not sent: ${notSent.slice(0, 10).join(', ')}`);
    });

    // Delivery is background work: the delivery threads run below the main thread's priority
    // (Linux: a nice value per thread, field 19 of /proc/PID/task/TID/stat). The main thread is
    // the task whose id is the process's (not the first listed: thread ids wrap around). The
    // second delivery thread starts only once the first is busy, so one or two are there.
    const pid = second.child.pid!;
    const niceOf = (tid: number | string) =>
      Number(
        fs
          .readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
          .replace(/^.*\) /s, '')
          .split(' ')[16],
      );
    const others = fs.readdirSync(`/proc/${pid}/task`).filter((tid) => Number(tid) !== pid);
    expect(niceOf(pid), 'the main thread keeps the default priority').toBe(0);
    expect(others.map(niceOf).filter((n) => n === 10).length).toBeGreaterThanOrEqual(1);
    expect(others.map(niceOf).filter((n) => n === 10).length).toBeLessThanOrEqual(2);

    const counts = sunkCounts();
    const duplicates = [...byMessageId.keys()].reduce((sum, id) => sum + (counts.get(id)! - 1), 0);
    const unacknowledged = [...counts.keys()].filter((id) => !byMessageId.has(id)).length;
    // A duplicate is the price of a kill between the receiver's 250 and our record of it; the
    // restarted process itself sends each message once.
    const afterExit = sink.messages.slice(sunkAtExit).map((m) => messageIdOf(m.raw)!);
    expect(afterExit.length - new Set(afterExit).size, 'messages the restarted process sent twice').toBe(0);
    console.log(
      `crash-recovery: accepted when the kill was sent ${acceptedAtKill} (${accepted.length} answered before the process died), ` +
        `at the sink ${sunkAtKill} (${sunkAtExit} by exit), accepted but not at the sink at exit ${undeliveredAtExit}, ` +
        `all delivered ${drainMs} ms after the restart answered /readyz, duplicates ${duplicates}, ` +
        `delivered but never acknowledged ${unacknowledged}, sink total ${sink.messages.length}`,
    );

    expect(acceptedAtKill).toBeGreaterThan(0);
    expect(sunkAtKill).toBeGreaterThan(0);
    expect(undeliveredAtExit).toBeGreaterThan(0);

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
