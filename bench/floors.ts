import { execFile, fork } from 'node:child_process';
import crypto, { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
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
import { findProgram, startSink, trackDir } from './children.js';
import { inboundFloor, replyTargets, sendFloors } from './floors-sql.js';
import { replyEml } from './inbound-lib.js';
import { parseOptions, positiveInt, textOfSize } from './lib.js';
import { runLoad } from './load.js';
import { runBench } from './run.js';

// npm run bench:floors [-- --messages N]
//
// What the parts threadline is made of cost on this machine, each alone and measured the way
// bench:send and bench:inbound use it: CPU per message, summed per path and set against the
// goal. Two cores give 2,000 µs of CPU per message at 1,000 messages a second; what the parts
// leave of that is all that threadline's own code (routing, validation, Kysely, the batcher,
// threads, composing, threading decisions) may use, on a machine whose every cycle is used.

let N = 20000;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CORES = os.availableParallelism();
const TICK_US = 1e6 / 100; // /proc/PID/stat counts USER_HZ (100 on Linux) ticks

let dir = '';
const rows: Array<{ path: 'send' | 'inbound'; label: string; us: number }> = [];
const note = (p: 'send' | 'inbound', label: string, us: number) => {
  rows.push({ path: p, label, us });
  console.log(`  ${p.padEnd(8)} ${label.padEnd(62)} ${us.toFixed(0).padStart(5)} µs`);
};
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
async function startPart(mode: 'http' | 'hono' | 'smtp') {
  const child = fork(path.join(HERE, 'floors-server.js'), [mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

async function httpParts(): Promise<void> {
  const body = Buffer.from(
    JSON.stringify({
      senderType: 'Outbound',
      fromAddress: { email: 'bench@notify.example.com' },
      toAddresses: [{ email: 'customer@example.com' }],
      subject: 'Benchmark',
      textBody: textOfSize(2048),
    }),
  );
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
    await load(2000);
    const server = await part.cpu();
    const self = process.cpuUsage();
    await load(N);
    const generator = cpuUs(self) / N;
    const used = ((await part.cpu()) - server) / N;
    part.stop();
    if (mode === 'http') note('send', 'load generator (bench/load.ts, 20 kept-alive connections)', generator);
    note('send', mode === 'http' ? 'node:http alone: read body, JSON.parse, answer 202' : 'hono on @hono/node-server: the same route', used);
  }
}

async function smtpOut(): Promise<void> {
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
  await run(2000);
  const sinkBefore = procCpuUs(sink.child.proc.pid!);
  const self = process.cpuUsage();
  await run(N);
  note('send', 'SMTP client (SmtpPool over SMTPConnection, 10 sessions)', cpuUs(self) / N);
  note('send', "Postfix's smtp-sink taking them", (procCpuUs(sink.child.proc.pid!) - sinkBefore) / N);
  pool.close();
  sink.child.proc.kill();
}

async function smtpIn(raw: string): Promise<void> {
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
  note('inbound', "Postfix's smtp-source sending (20 sessions, reused)", (user! + sys!) / N);
  note('inbound', 'smtp-server: the SMTP exchange, handlers that do nothing', used);
}

async function databaseParts(): Promise<void> {
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
  for (const f of sendFloors(file, org.orgId, N)) note('send', `SQLite: ${f.label}`, f.cpuUs);
  const targets = replyTargets(file, org.orgId, org.queueId, 200);
  const f = inboundFloor(file, org.orgId, targets, N / 2);
  note('inbound', `SQLite: ${f.label}`, f.cpuUs);
}

async function inboundLibraries(raw: Buffer): Promise<void> {
  const count = Math.min(N, 3000);
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

async function main(messages: number): Promise<void> {
  N = messages;
  dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-floors-')));
  console.log(`floors: ${N} messages per part, ${CORES} cores; CPU per message of each part alone\n`);
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const headerBlock = Buffer.from(textOfSize(700));
  note('send', 'RSA-2048 signature (node:crypto, key parsed once)', await timeEach(Math.min(N, 3000), () => crypto.sign('sha256', headerBlock, privateKey)));
  // What runs in this process first, while its heap holds nothing else to collect.
  const reply = replyEml(
    { conversationId: '', messageId: '<parent@notify.example.com>', replyTo: 'support@replies.example.com', subject: 'Your order has shipped', customer: 'customer@example.com' },
    'reply@mail.example.net',
    2048,
  ).replace(/\n/g, '\r\n');
  await inboundLibraries(Buffer.from(reply));
  await databaseParts();
  await httpParts();
  await smtpOut();
  await smtpIn(reply);

  const budget = (CORES * 1e6) / 1000;
  console.log('');
  for (const p of ['send', 'inbound'] as const) {
    const mine = rows.filter((r) => r.path === p && !r.label.startsWith('node:http'));
    const sum = mine.reduce((s, r) => s + r.us, 0);
    console.log(`${p.padEnd(8)} parts (hono, not bare node:http) ${sum.toFixed(0)} µs a message: at most ${Math.floor((CORES * 1e6) / sum)}/s on ${CORES} cores with nothing else running;`);
    console.log(`${''.padEnd(8)} at the goal of 1,000/s there are ${budget.toFixed(0)} µs, so ${(budget - sum).toFixed(0)} µs are left for threadline's own code`);
  }
  console.log(JSON.stringify({ bench: 'floors', messages: N, cores: CORES, parts: rows.map((r) => ({ path: r.path, part: r.label, us: Math.round(r.us) })) }));
}

await runBench({
  name: 'floors',
  usage: 'options: --messages N (20000)',
  limitMs: 30 * 60_000,
  readOptions: (argv) => positiveInt('messages', parseOptions(argv, ['messages']).messages, 20000),
  main,
});
