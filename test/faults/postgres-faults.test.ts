import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, killChildren, type Served, serve } from '../helpers/child-service.js';
import { call, duplicateCount, type FaultTarget, missingSends, prepareTarget, sendBody, startCustomerDns, startLoad, timeToRecover } from '../helpers/fault-load.js';
import { type Cluster, createDatabase, startCluster } from '../helpers/postgres.js';
import { tempDir, waitFor } from '../helpers/service.js';
import { deliver } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// threadline on a PostgreSQL of its own that fails under load: every connection terminated by
// the server, then a crash (`pg_ctl stop -m immediate`) and a clean stop (`-m fast`), each
// followed by a start. Sends, inbound replies and deliveries run throughout. The process must
// outlive its database, answer 503 with Retry-After (HTTP) and 451 (SMTP) while it is gone,
// work again within 2 s of its return, lose nothing it acknowledged, and send a message twice
// only if it was on the wire at a fault.

const SECRET = 'postgres-faults-secret-'.padEnd(64, '0');
const CONNECTIONS = 4; // outbound SMTP sessions: at most this many messages on the wire at once

let cluster: Cluster;
let svc: Served;
let dbUrl: string;
let sink: Awaited<ReturnType<typeof startSink>>;
let target: FaultTarget;
let vars: Record<string, string>;

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  // With commits acknowledged before their WAL is written, a crash loses acknowledged sends.
  cluster = await startCluster({ durableCommits: true });
  sink = await startSink();
  dbUrl = await createDatabase(cluster.adminUrl, 'faults');
  const dns = await startCustomerDns();
  vars = {
    THREADLINE_DATABASE_URL: dbUrl,
    THREADLINE_SECRET: SECRET,
    THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}`,
    THREADLINE_OUTBOUND_CONNECTIONS: String(CONNECTIONS),
    THREADLINE_LOG_LEVEL: 'info',
    THREADLINE_DNS_SERVERS: dns.address,
    THREADLINE_SHUTDOWN_SECONDS: '5',
  };
  svc = await serve({ ...vars, THREADLINE_DATA_DIR: tempDir() }, 60_000);
  target = await prepareTarget(svc, dns);
}, 180_000);

afterAll(async () => {
  await killChildren();
  await cluster?.stop();
}, 60_000);

describe('PostgreSQL failing under load', { timeout: 300_000 }, () => {
  it('outlives terminated connections, a crash and a stop of its database; loses nothing; duplicates only what was on the wire', async () => {
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    admin.on('error', () => {}); // ended by the halts below, as threadline's own connections are
    await admin.connect();
    const load = startLoad(target, { senders: 6, repliers: 2 });
    const recoveries: Record<string, number> = {};
    try {
      await waitFor(() => (load.sends.size >= 200 && load.replies.size >= 20 && load.completed.size >= 2 ? true : undefined), 60_000, 'load under way');

      // 1. The server ends every connection of threadline's, idle or busy.
      const dbName = new URL(dbUrl).pathname.slice(1);
      const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [dbName]);
      expect(killed.rowCount).toBeGreaterThan(0);
      recoveries.terminate = await timeToRecover(target);

      // 2. A crash, then 3. a clean stop: while it is down, every answer says "come back".
      for (const mode of ['immediate', 'fast'] as const) {
        const before = load.sends.size;
        cluster.halt(mode);
        const refused = await call(target, 'POST', '/api/v2/conversations/emails/agentless', sendBody(target.sender, -3));
        expect(refused.status).toBe(503);
        expect(refused.retryAfter).toMatch(/^\d+$/);
        expect(refused.body).toMatchObject({ status: 503, code: 'service.unavailable' });
        expect(refused.body.message).not.toMatch(/ECONNREFUSED|terminat|pg_|at \w+ \(/);
        const ready = await fetch(`${svc.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ reason: 'database unreachable' });
        const raw = `From: customer@example.com\r\nTo: ${target.replyTo}\r\nSubject: Re\r\nMessage-ID: <during-${mode}@example.com>\r\n\r\nHello\r\n`;
        expect(await deliver(svc.smtpPort, { from: 'customer@example.com', to: [target.replyTo], raw })).toMatch(/^451 4\.3\.0/);
        expect(svc.child.exitCode, `threadline exited:\n${svc.output().slice(-3000)}`).toBeNull();
        cluster.resume();
        recoveries[mode] = await timeToRecover(target);
        await waitFor(() => (load.sends.size > before + 50 ? true : undefined), 60_000, 'sends flowing again');
      }
    } finally {
      await load.stop();
      await admin.end();
    }

    // Every acknowledged send reaches the sink; count each subject.
    const missing = () => missingSends(load, sink.messages);
    await waitFor(() => (missing().length === 0 ? true : undefined), 120_000, 'every acknowledged send delivered').catch(async (err: Error) => {
      const lost = missing();
      throw new Error(`${err.message}: ${lost.length} of ${load.sends.size} missing, ${JSON.stringify(await statusesOf(lost.map((n) => `Order ${n}`)))}\n${svc.output().slice(-4000)}`);
    });
    const duplicates = duplicateCount(sink.messages);

    // Every acknowledged reply is stored.
    const stored = await storedReplies();
    const lostReplies = [...load.replies].filter((n) => !stored.has(`<fault-reply-${n}@example.com>`));

    // No message left `sending`.
    const sending = await countStatus('sending');

    console.log(
      `postgres faults: ${load.sends.size} sends and ${load.replies.size} replies acknowledged, ${load.completed.size} work items completed; recovery ms ${JSON.stringify(recoveries)}; duplicates ${duplicates}; refusals ${JSON.stringify(Object.fromEntries(load.refusals))}`,
    );
    expect(lostReplies).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(3 * CONNECTIONS);
    expect(sending).toBe(0);
    for (const [fault, ms] of Object.entries(recoveries)) expect(ms, `recovery after ${fault}`).toBeLessThan(2_000);
    for (const what of load.refusals.keys()) expect(what).toMatch(/^(HTTP 503 service\.unavailable retry-after=\d+|SMTP 451 4\.3\.0)$/);
    expect(svc.child.exitCode).toBeNull();
  });

  it('starts while its database is down and serves once it is up; SIGTERM with the database down ends within the shutdown time', async () => {
    cluster.halt('fast');
    let output = () => '';
    const starting = serve({ ...vars, THREADLINE_DATA_DIR: tempDir() }, 60_000, (o) => (output = o));
    await waitFor(() => (/waiting for the database/.test(output()) ? true : undefined), 30_000, 'the log to say it waits for the database');
    cluster.resume();
    const second = await starting;
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);

    cluster.halt('immediate');
    const stopAsked = Date.now();
    second.child.kill('SIGTERM');
    const exit = await second.exited;
    expect(Date.now() - stopAsked).toBeLessThan(5_000 + 3_000);
    expect(exit.signal).toBeNull();
    cluster.resume();
  });
});

async function storedReplies(): Promise<Set<string>> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    // Threaded into the conversation, or held in the quarantine: stored either way.
    const rows = await c.query<{ h: string }>("select message_id_header as h from messages where direction = 'inbound' union select message_id_header from quarantine");
    return new Set(rows.rows.map((r) => `<${r.h}>`));
  } finally {
    await c.end();
  }
}

async function countStatus(status: string): Promise<number> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    return Number((await c.query('select count(*) as n from messages where status = $1', [status])).rows[0].n);
  } finally {
    await c.end();
  }
}

async function statusesOf(subjects: string[]) {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const rows = await c.query(
      'select m.subject, m.status, o.attempts, o.next_attempt_at, o.claimed_by, o.claimed_until, extract(epoch from now())*1000 as now from messages m left join outbox o on o.message_id = m.id where m.subject = any($1) limit 20',
      [subjects],
    );
    return rows.rows;
  } finally {
    await c.end();
  }
}
