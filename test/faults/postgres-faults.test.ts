import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySenderDomain } from '../../bench/verify-domain.js';
import { BUILT, killChildren, serve, type Served } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { createDatabase, startCluster, type Cluster } from '../helpers/postgres.js';
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
const SENDERS = 6;
const REPLIERS = 2;
/** The customer of the conversation the replies answer (sendBody(-1)). */
const CUSTOMER = 'customer-1@example.com';

let cluster: Cluster;
let svc: Served;
let dbUrl: string;
let sink: Awaited<ReturnType<typeof startSink>>;
let token: string;
let sender: string;
let replyTo: string;
let vars: Record<string, string>;

async function call(method: string, path: string, body?: unknown, inst: Served = svc) {
  const res = await fetch(`${inst.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : null };
}

const sendBody = (n: number) => ({
  senderType: 'Outbound',
  fromAddress: { email: `orders@${sender}` },
  toAddresses: [{ email: `customer${n}@example.com` }],
  subject: `Order ${n}`,
  textBody: `Order ${n} has shipped.`,
});

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  cluster = await startCluster();
  sink = await startSink();
  dbUrl = await createDatabase(cluster.adminUrl, 'faults');
  const dns = await startDnsServer({
    'example.com': [{ type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    '_dmarc.example.com': [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
  });
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
  const cred = JSON.parse(svc.output().split('\n').find((l) => l.includes('clientSecretOnce'))!) as { clientId: string; clientSecretOnce: string };
  const res = await fetch(`${svc.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${cred.clientId}:${cred.clientSecretOnce}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  token = ((await res.json()) as { access_token: string }).access_token;
  expect((await call('PATCH', '/api/v2/organizations/me', { agentlessEmailRateLimitPerMinute: 1_000_000 })).status).toBe(200);
  sender = (await call('GET', '/api/v2/routing/email/outbound/domains')).body.entities[0].id;
  await verifySenderDomain({ url: svc.url, token, domain: sender, zone: dns.zone });
  const first = await call('POST', '/api/v2/conversations/emails/agentless', sendBody(-1));
  replyTo = first.body.replyToAddress.email;
}, 180_000);

afterAll(async () => {
  await killChildren();
  await cluster?.stop();
}, 60_000);

/** What the load saw: acknowledged work by key, refusals by their answer. */
interface Load {
  sends: Set<number>;
  replies: Set<number>;
  refusals: Map<string, number>;
  stop(): Promise<void>;
}

function startLoad(): Load {
  const load: Load = { sends: new Set(), replies: new Set(), refusals: new Map(), stop: async () => {} };
  let running = true;
  let next = 0;
  const refuse = (what: string) => load.refusals.set(what, (load.refusals.get(what) ?? 0) + 1);
  const senders = Array.from({ length: SENDERS }, async () => {
    while (running) {
      const n = next++;
      const res = await call('POST', '/api/v2/conversations/emails/agentless', sendBody(n)).catch((err: Error) => ({ status: 0, retryAfter: null, body: { code: err.message } }));
      if (res.status === 202) load.sends.add(n);
      else {
        refuse(`HTTP ${res.status} ${res.body?.code} retry-after=${res.retryAfter}`);
        await new Promise((r) => setTimeout(r, 50)); // a client honouring Retry-After, shortened
      }
    }
  });
  const repliers = Array.from({ length: REPLIERS }, async () => {
    while (running) {
      const n = next++;
      const raw = `From: ${CUSTOMER}\r\nTo: ${replyTo}\r\nSubject: Re: Order\r\nMessage-ID: <fault-reply-${n}@example.com>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nReply ${n}\r\n`;
      const answer = await deliver(svc.smtpPort, { from: CUSTOMER, to: [replyTo], raw }).catch((err: Error) => `ERR ${err.message}`);
      if (answer.startsWith('250')) load.replies.add(n);
      else {
        refuse(`SMTP ${answer.slice(0, 9)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  load.stop = async () => {
    running = false;
    await Promise.all([...senders, ...repliers]);
  };
  return load;
}

/** Milliseconds from now until a send is accepted again. */
async function timeToRecover(): Promise<number> {
  const started = Date.now();
  await waitFor(async () => ((await call('POST', '/api/v2/conversations/emails/agentless', sendBody(-2))).status === 202 ? true : undefined), 30_000, 'a send accepted again');
  return Date.now() - started;
}

const subjects = () => sink.messages.map((m) => /^Subject: (.*)$/m.exec(m.raw.toString('latin1'))?.[1]?.trim());

describe('PostgreSQL failing under load', { timeout: 300_000 }, () => {
  it('outlives terminated connections, a crash and a stop of its database; loses nothing; duplicates only what was on the wire', async () => {
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    admin.on('error', () => {}); // ended by the halts below, as threadline's own connections are
    await admin.connect();
    const load = startLoad();
    const recoveries: Record<string, number> = {};
    try {
      await waitFor(() => (load.sends.size >= 200 && load.replies.size >= 20 ? true : undefined), 60_000, 'load under way');

      // 1. The server ends every connection of threadline's, idle or busy.
      const dbName = new URL(dbUrl).pathname.slice(1);
      const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [dbName]);
      expect(killed.rowCount).toBeGreaterThan(0);
      recoveries.terminate = await timeToRecover();

      // 2. A crash, then 3. a clean stop: while it is down, every answer says "come back".
      for (const mode of ['immediate', 'fast'] as const) {
        const before = load.sends.size;
        cluster.halt(mode);
        const refused = await call('POST', '/api/v2/conversations/emails/agentless', sendBody(-3));
        expect(refused.status).toBe(503);
        expect(refused.retryAfter).toMatch(/^\d+$/);
        expect(refused.body).toMatchObject({ status: 503, code: 'service.unavailable' });
        expect(refused.body.message).not.toMatch(/ECONNREFUSED|terminat|pg_|at \w+ \(/);
        const ready = await fetch(`${svc.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ reason: 'database unreachable' });
        const raw = `From: customer@example.com\r\nTo: ${replyTo}\r\nSubject: Re\r\nMessage-ID: <during-${mode}@example.com>\r\n\r\nHello\r\n`;
        expect(await deliver(svc.smtpPort, { from: 'customer@example.com', to: [replyTo], raw })).toMatch(/^451 4\.3\.0/);
        expect(svc.child.exitCode, `threadline exited:\n${svc.output().slice(-3000)}`).toBeNull();
        cluster.resume();
        recoveries[mode] = await timeToRecover();
        await waitFor(() => (load.sends.size > before + 50 ? true : undefined), 60_000, 'sends flowing again');
      }
    } finally {
      await load.stop();
      await admin.end();
    }

    // Every acknowledged send reaches the sink; count each subject.
    const missing = () => {
      const got = new Set(subjects());
      return [...load.sends].filter((n) => !got.has(`Order ${n}`));
    };
    await waitFor(() => (missing().length === 0 ? true : undefined), 120_000, 'every acknowledged send delivered').catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await statusesOf(missing().map((n) => `Order ${n}`)))}\n${svc.output().slice(-4000)}`);
    });
    const seen = new Map<string, number>();
    for (const s of subjects()) seen.set(s!, (seen.get(s!) ?? 0) + 1);
    const duplicates = [...seen.values()].reduce((sum, c) => sum + c - 1, 0);

    // Every acknowledged reply is stored.
    const stored = await storedReplies();
    const lostReplies = [...load.replies].filter((n) => !stored.has(`<fault-reply-${n}@example.com>`));

    // No message left `sending`.
    const sending = await countStatus('sending');

    console.log(
      `postgres faults: ${load.sends.size} sends and ${load.replies.size} replies acknowledged; recovery ms ${JSON.stringify(recoveries)}; duplicates ${duplicates}; refusals ${JSON.stringify(Object.fromEntries(load.refusals))}`,
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
    const rows = await c.query('select m.subject, m.status, o.attempts, o.next_attempt_at, o.claimed_by, o.claimed_until, extract(epoch from now())*1000 as now from messages m left join outbox o on o.message_id = m.id where m.subject = any($1) limit 20', [subjects]);
    return rows.rows;
  } finally {
    await c.end();
  }
}
