import { execFile, fork } from 'node:child_process';
import crypto, { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import { SmtpPool } from '../src/delivery/smtp-pool.js';
import { createServices } from '../src/deps.js';
import { authenticateMessage } from '../src/inbound/authenticate.js';
import { extractReplyText } from '../src/inbound/reply-text.js';
import { initOrganization } from '../src/setup/init.js';
import { findProgram, startSink } from './children.js';
import { inboundFloor, replyTargets, sendFloors } from './floors-sql.js';
import { replyEml } from './inbound-lib.js';
import { textOfSize } from './lib.js';
import { runLoad } from './load.js';

// What the parts threadline is made of cost, each alone and measured the way bench:send and
// bench:inbound use it: CPU per message. bench:floors prints them all; bench:send and
// bench:inbound measure their path's parts in the same run, to set threadline's CPU per message
// against their sum.

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TICK_US = 1e6 / 100; // /proc/PID/stat counts USER_HZ (100 on Linux) ticks

export type PartPath = 'send' | 'inbound';

export interface Part {
  path: PartPath;
  label: string;
  /** CPU per message, µs. */
  us: number;
  /** Work threadline's own process does (false: the load generator, the peer at the other end, or the bare node:http baseline). */
  inThreadline: boolean;
}

/** The sum over the parts that run inside threadline, µs per message: what its CPU per message is set against. */
export const partsSum = (parts: readonly Part[], p: PartPath) => parts.filter((r) => r.path === p && r.inThreadline).reduce((s, r) => s + r.us, 0);

/** One part as bench:send and bench:inbound print it. */
export const partLine = (r: Part) => `  ${r.label.padEnd(62)} ${r.us.toFixed(0).padStart(5)} µs${r.inThreadline ? '' : '  (not threadline)'}`;

export const SIGNATURE_LABEL = 'RSA-2048 signature (node:crypto, key parsed once)';

const cpuUs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return u.user + u.system;
};
const procCpuUs = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US;
};

async function timeEach(count: number, fn: () => unknown): Promise<number> {
  // Warmed up well past the JIT's tiers: the first few hundred runs are slower than the rest.
  for (let i = 0; i < Math.min(1000, count); i++) await fn();
  const t = process.cpuUsage();
  for (let i = 0; i < count; i++) await fn();
  return cpuUs(t) / count;
}

/** What a floors-server child sends: its port once listening, its CPU use when asked. */
type PartMessage = { port?: number; cpu?: NodeJS.CpuUsage };

/** A floors-server child in `mode`; cpu() is its process CPU in µs. */
export async function startPart(mode: 'http' | 'hono' | 'smtp' | 'route', args: string[] = []) {
  const child = fork(path.join(HERE, 'floors-server.js'), [mode, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(pred: (m: PartMessage | undefined) => T | undefined) =>
    new Promise<T>((resolve, reject) => {
      const on = (m: unknown) => {
        const v = pred(m as PartMessage | undefined);
        if (v === undefined) return;
        child.off('message', on);
        resolve(v);
      };
      child.on('message', on);
      child.once('exit', (code) => reject(new Error(`floors-server ${mode} exited with ${code}`)));
    });
  const port = await ask((m) => m?.port);
  const cpu = () => {
    const answer = ask((m) => (m?.cpu ? m.cpu.user + m.cpu.system : undefined));
    child.send('cpu');
    return answer;
  };
  return { port, cpu, stop: () => child.kill() };
}

/** The agentless send bench:send posts: 2 KB of text. */
export const sendBody = (domain = 'notify.example.com') =>
  Buffer.from(
    JSON.stringify({
      senderType: 'Outbound',
      fromAddress: { email: `bench@${domain}` },
      toAddresses: [{ email: 'customer@example.com' }],
      subject: 'Benchmark',
      textBody: textOfSize(2048),
    }),
  );

/** The reply bench:floors parses and authenticates, with CRLF line ends. */
export const floorsReply = () =>
  replyEml(
    { conversationId: '', messageId: '<parent@notify.example.com>', replyTo: 'support@replies.example.com', subject: 'Your order has shipped', customer: 'customer@example.com' },
    'reply@mail.example.net',
    2048,
  ).replace(/\n/g, '\r\n');

/**
 * Every part of one or both paths, `n` messages each, in `dir`; `log` sees each part as it is
 * measured. Runs in this process and in children of its own, one part at a time.
 */
export async function measureParts(o: { n: number; dir: string; paths: readonly PartPath[]; log(part: Part): void }): Promise<Part[]> {
  const parts: Part[] = [];
  const note = (p: PartPath, label: string, us: number, inThreadline = true) => {
    const part = { path: p, label, us, inThreadline };
    parts.push(part);
    o.log(part);
  };
  const N = o.n;
  const send = o.paths.includes('send');
  const inbound = o.paths.includes('inbound');
  const reply = floorsReply();
  if (send) {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const headerBlock = Buffer.from(textOfSize(700));
    note('send', SIGNATURE_LABEL, await timeEach(Math.min(N, 3000), () => crypto.sign('sha256', headerBlock, privateKey)));
  }
  // What runs in this process first, while its heap holds nothing else to collect.
  if (inbound) await inboundLibraries(Buffer.from(reply), Math.min(N, 3000), note);
  await databaseParts(o.dir, N, send, inbound, note);
  if (send) {
    await httpParts(N, note);
    await smtpOut(N, note);
  }
  if (inbound) await smtpIn(reply, o.dir, N, note);
  return parts;
}

type Note = (p: PartPath, label: string, us: number, inThreadline?: boolean) => void;

async function httpParts(N: number, note: Note): Promise<void> {
  const body = sendBody();
  for (const mode of ['http', 'hono'] as const) {
    const part = await startPart(mode);
    const load = (requests: number) =>
      runLoad({
        url: `http://127.0.0.1:${part.port}`,
        path: '/api/v2/conversations/emails/agentless',
        headers: { 'content-type': 'application/json' },
        body,
        requests,
        concurrency: 20,
        expectStatus: 202,
      });
    await load(Math.min(N, 2000));
    const server = await part.cpu();
    const self = process.cpuUsage();
    await load(N);
    const generator = cpuUs(self) / N;
    const used = ((await part.cpu()) - server) / N;
    part.stop();
    if (mode === 'http') note('send', 'load generator (bench/load.ts, 20 kept-alive connections)', generator, false);
    if (mode === 'http') note('send', 'node:http alone: read body, JSON.parse, answer 202', used, false);
    else note('send', 'hono on @hono/node-server: the same route', used);
  }
}

async function smtpOut(N: number, note: Note): Promise<void> {
  const sink = await startSink();
  const rendered = Buffer.from(`From: <bench@notify.example.com>\r\nTo: <customer@example.com>\r\nSubject: Benchmark\r\n\r\n${textOfSize(2048).replace(/\n/g, '\r\n')}\r\n`);
  const pool = new SmtpPool({ host: '127.0.0.1', port: sink.port, maxConnections: 10, secure: false, ignoreTLS: true });
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next++ < count) await pool.send({ from: 'bench@notify.example.com', to: ['customer@example.com'] }, rendered);
      }),
    );
  };
  await run(Math.min(N, 2000));
  const sinkBefore = procCpuUs(sink.child.proc.pid!);
  const self = process.cpuUsage();
  await run(N);
  note('send', 'SMTP client (SmtpPool over SMTPConnection, 10 sessions)', cpuUs(self) / N);
  note('send', "Postfix's smtp-sink taking them", (procCpuUs(sink.child.proc.pid!) - sinkBefore) / N, false);
  pool.close();
  sink.child.proc.kill();
}

async function smtpIn(raw: string, dir: string, N: number, note: Note): Promise<void> {
  const part = await startPart('smtp');
  const file = path.join(dir, 'reply.eml');
  fs.writeFileSync(file, raw);
  const before = await part.cpu();
  // bash's `times` prints the CPU of the children it waited for: smtp-source's, to the tick.
  const script = `"$0" "$@" >/dev/null || exit 1; times`;
  const args = ['-d', '-s', '20', '-m', String(N), '-M', 'mx.example.net', '-f', 'customer@example.com', '-t', 'support@replies.example.com', '-F', file, `127.0.0.1:${part.port}`];
  const { stdout } = await promisify(execFile)('bash', ['-c', script, findProgram('smtp-source'), ...args]);
  const used = ((await part.cpu()) - before) / N;
  part.stop();
  const [user, sys] = (stdout.trim().split('\n')[1] ?? '').split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? (Number(m[1]) * 60 + Number(m[2])) * 1e6 : NaN;
  });
  note('inbound', "Postfix's smtp-source sending (20 sessions, reused)", (user! + sys!) / N, false);
  note('inbound', 'smtp-server: the SMTP exchange, handlers that do nothing', used);
}

async function databaseParts(dir: string, N: number, send: boolean, inbound: boolean, note: Note): Promise<void> {
  const file = path.join(dir, 'floors.db');
  const secret = randomBytes(32).toString('hex');
  const opened = openDatabase(`sqlite://${file}`);
  let org: { orgId: string; queueId: string };
  try {
    await migrateToLatest(opened.db);
    const services = createServices({
      db: opened.db,
      dialect: 'sqlite',
      clock: systemClock,
      config: loadConfig({ THREADLINE_DATA_DIR: dir, THREADLINE_SECRET: secret }),
      secret: Buffer.from(secret),
    });
    org = await initOrganization(services, { orgName: 'Floors', inboundDomain: 'replies.example.com', senderDomain: 'notify.example.com' });
  } finally {
    await opened.close();
  }
  // The sent messages are what replies answer: made (and timed only for the send path) either way.
  const sent = sendFloors(file, org.orgId, N);
  if (send) for (const f of sent) note('send', `SQLite: ${f.label}`, f.cpuUs);
  if (!inbound) return;
  const targets = replyTargets(file, org.orgId, org.queueId, 200);
  const f = inboundFloor(file, org.orgId, targets, Math.ceil(N / 2));
  note('inbound', `SQLite: ${f.label}`, f.cpuUs);
}

async function inboundLibraries(raw: Buffer, count: number, note: Note): Promise<void> {
  const options = { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true };
  note('inbound', 'mailparser simpleParser', await timeEach(count, () => simpleParser(raw, options)));
  const records: Record<string, string[][]> = { 'TXT example.com': [['v=spf1 ip4:127.0.0.1 -all']], 'TXT _dmarc.example.com': [['v=DMARC1; p=none']] };
  const resolver = async (name: string, type: string) => {
    const r = records[`${type} ${name}`];
    if (r) return r;
    throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
  };
  const facts = { remoteAddress: '127.0.0.1', helo: 'mx.example.net', envelopeFrom: 'customer@example.com', mta: 'mx.replies.example.com' };
  note('inbound', 'mailauth: SPF, DKIM, DMARC, ARC, DNS answers cached', await timeEach(count, () => authenticateMessage(raw, facts, resolver as never)));
  const parsed = await simpleParser(raw, options);
  note('inbound', 'email-reply-parser: the new text of the reply', await timeEach(count, () => extractReplyText({ text: parsed.text ?? null, html: null })));
}
