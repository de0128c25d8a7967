import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import { createServices } from '../src/deps.js';
import { contentHash } from '../src/inbound/prepare.js';
import { extractReplyText } from '../src/inbound/reply-text.js';
import { initOrganization } from '../src/setup/init.js';
import { cleanup, trackDir } from './children.js';
import { replyEml } from './inbound-lib.js';
import { parseOptions, positiveInt } from './lib.js';
import { sqliteStore } from './lookup-fill.js';

// node dist/bench/inbound-stages.js [--messages N]
//
// Where the inbound path's CPU goes, stage by stage, in one process with no SMTP: the MIME
// parse, the reply-text extraction, the content hash, and receive() as a whole (parse, thread,
// store, work item, commit) one at a time and 20 at a time, with SQLite's fsync on and off.
// A diagnostic for bench:inbound's figures, not a benchmark of its own.

const o = parseOptions(process.argv.slice(2), ['messages']);
const N = positiveInt('messages', o.messages, 2000);
const INBOUND = 'replies.localhost';
const SENDER = 'notify.localhost';

const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-stages-')));
const file = path.join(dir, 'stages.db');
const secret = randomBytes(32).toString('hex');
const config = loadConfig({ THREADLINE_DATA_DIR: dir, THREADLINE_SECRET: secret });

const opened = openDatabase(`sqlite://${file}`);
try {
  await migrateToLatest(opened.db);
  const services = createServices({ db: opened.db, dialect: 'sqlite', clock: systemClock, config, secret: Buffer.from(secret) });
  const org = await initOrganization(services, { orgName: 'Stages', inboundDomain: INBOUND, senderDomain: SENDER });
  // 200 conversations to reply to, made the way bench:inbound's lookup store is.
  const store = sqliteStore(
    file,
    { ...opened, close: async () => {} },
    { orgId: org.orgId, queueId: org.queueId, start: Date.now() - 86_400_000, stepMs: 1000, senderDomain: SENDER, inboundDomain: INBOUND },
  );
  await store.fill(0, 800);
  const targets = (await store.sample(4000)).filter((h) => h.endsWith(`@${SENDER}`)).slice(0, 200);
  await store.close();
  let seq = 0;
  const nextRaw = () => {
    const n = seq++;
    const c = { conversationId: '', messageId: `<${targets[n % targets.length]}>`, replyTo: `reply+x@${INBOUND}`, subject: 'Your order has shipped', customer: `customer${n}@example.com` };
    return Buffer.from(replyEml(c, `stage-${n}-${randomBytes(4).toString('hex')}@mail.example.net`, 2048).replace(/\n/g, '\r\n'));
  };
  const mail = (raw: Buffer) => ({ raw, envelopeFrom: 'customer@example.com', recipients: [`support@${INBOUND}`], remoteAddress: '127.0.0.1', helo: 'mx.example.net' });

  // Wall time, and CPU time (which other processes on a shared machine do not inflate).
  const report = (label: string, t: number, cpu: NodeJS.CpuUsage, count: number) => {
    const ms = (performance.now() - t) / count;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000 / count;
    console.log(`${label.padEnd(56)} ${ms.toFixed(3)} ms/message (${String(Math.round(1000 / ms)).padStart(5)}/s), CPU ${cpuMs.toFixed(3)} ms/message`);
  };
  const timeEach = async (label: string, fn: () => Promise<unknown> | unknown, count = N) => {
    for (let i = 0; i < 200; i++) await fn(); // warm-up
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < count; i++) await fn();
    report(label, t, cpu, count);
  };
  const timeParallel = async (label: string, width: number) => {
    const cpu = process.cpuUsage();
    const t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next++ < N) await services.inbound.receive(mail(nextRaw()));
      }),
    );
    report(label, t, cpu, N);
  };

  const sampleRaw = nextRaw();
  const parsed = await simpleParser(sampleRaw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  console.log(`${N} replies of ${sampleRaw.length} bytes, In-Reply-To one of ${targets.length} sent messages; SQLite ${file}\n`);
  await timeEach('mailparser simpleParser', () => simpleParser(sampleRaw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true }));
  await timeEach('extractReplyText (email-reply-parser)', () => extractReplyText({ text: parsed.text ?? null, html: null }));
  await timeEach('contentHash', () => contentHash(parsed));

  await timeEach('receive(), one at a time (a commit and fsync each)', () => services.inbound.receive(mail(nextRaw())));
  await timeParallel('receive(), 20 at a time (group commit)', 20);
  await sql`pragma synchronous = OFF`.execute(opened.db);
  await timeEach('receive(), one at a time, synchronous = OFF (no fsync)', () => services.inbound.receive(mail(nextRaw())));
  await timeParallel('receive(), 20 at a time, synchronous = OFF', 20);
} finally {
  await opened.close();
  await cleanup();
}
