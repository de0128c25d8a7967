import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { openDatabase } from '../src/db/open.js';
import type { Database } from '../src/db/schema.js';
import { findProgram, spawnChild } from './children.js';
import { counterValue } from './lib.js';
import type { ThreadlineUnderTest } from './threadline.js';

// Helpers for bench:inbound: the conversations replied to, the reply files smtp-source sends,
// a pool of smtp-source processes, Postfix's smtp-sink as the yardstick, and a stall watchdog.

export interface SentConversation {
  conversationId: string;
  /** threadline's id of the agentless email (what its return path names). */
  id: string;
  /** The Message-ID threadline gave the agentless email, with its angle brackets. */
  messageId: string;
  replyTo: string;
  subject: string;
  customer: string;
}

export async function api<T>(tl: ThreadlineUnderTest, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${tl.url}${p}`, {
    method,
    signal: AbortSignal.timeout(30_000),
    headers: { authorization: `Bearer ${tl.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${p} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Every instance's /metrics, one after the other: counterValue() then sums over all of them. */
export const scrape = async (tls: ThreadlineUnderTest[]) =>
  (await Promise.all(tls.map(async (tl) => (await fetch(`${tl.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()))).join('\n');

export async function waitOutboxEmpty(tls: ThreadlineUnderTest[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (counterValue(await scrape(tls), 'threadline_outbox_depth') > 0) {
    if (Date.now() > deadline) throw new Error('the agentless emails were not delivered (captured) within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Agentless emails over HTTP, each the start of a conversation a customer can answer. */
export async function createConversations(tl: ThreadlineUnderTest, label: string, count: number, concurrency = 10): Promise<SentConversation[]> {
  const out: SentConversation[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const customer = `customer-${label}${i}@example.com`;
        const subject = `Your order ${label.toUpperCase()}-${10_000 + i} has shipped`;
        const sent = await api<{ conversationId: string; selfUri: string; replyToAddress?: { email: string } }>(tl, 'POST', '/api/v2/conversations/emails/agentless', {
          senderType: 'Outbound',
          fromAddress: { email: `notifications@${tl.senderDomain}`, name: 'Example Shop' },
          toAddresses: [{ email: customer, name: 'Pat Customer' }],
          subject,
          textBody: `Hello Pat,\n\nyour order ${label.toUpperCase()}-${10_000 + i} is on its way and should arrive within two days.\n\nExample Shop`,
        });
        if (!sent.replyToAddress) throw new Error('the agentless send has no replyToAddress: is an inbound domain registered?');
        const message = await api<{ id: string; messageId: string }>(tl, 'GET', sent.selfUri);
        out[i] = { conversationId: sent.conversationId, id: message.id, messageId: message.messageId, replyTo: sent.replyToAddress.email, subject, customer };
      }
    }),
  );
  return out;
}

/**
 * A customer's plain-text reply of about `bytes` bytes (headers included), as Gmail writes one:
 * In-Reply-To and References naming our Message-ID, To: our reply-token address, the quoted
 * original below. Lines end in LF: smtp-source -F sends each line with CRLF.
 */
export function replyEml(c: Omit<SentConversation, 'id'>, messageId: string, bytes: number, date = new Date()): string {
  const head = [
    `From: Pat Customer <${c.customer}>`,
    `To: <${c.replyTo}>`,
    `Subject: Re: ${c.subject}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${messageId}>`,
    `In-Reply-To: ${c.messageId}`,
    `References: ${c.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: 7bit',
  ].join('\n');
  const text = [
    'Hello,',
    '',
    'thanks for the update. The tracking page still shows the parcel at the depot, and',
    'nobody was at home on Tuesday. Could you ask the courier to leave it with a neighbour?',
    '',
    'Best regards,',
    'Pat',
    '',
    `On ${date.toUTCString()}, Example Shop <notifications@example.com> wrote:`,
  ].join('\n');
  const quoted = '> Your parcel is on its way and should arrive within two days. Track it online.\n';
  let eml = `${head}\n\n${text}\n`;
  while (eml.length + quoted.length <= bytes) eml += quoted;
  return eml;
}

/** Writes one reply file per conversation, each to be sent `perFile` times (smtp-source -N keeps them distinct). */
export function writeReplyFiles(dir: string, label: string, convs: SentConversation[], total: number, bytes: number): Array<{ file: string; count: number }> {
  const perFile = Math.ceil(total / convs.length);
  return convs
    .map((c, i) => {
      const file = path.join(dir, `${label}-${i}.eml`);
      fs.writeFileSync(file, replyEml(c, `bench-${label}-${i}.${Date.now().toString(36)}@mail.example.net`, bytes));
      return { file, count: Math.max(0, Math.min(perFile, total - i * perFile)) };
    })
    .filter((f) => f.count > 0);
}

export interface SourceRun {
  /** Where the files go, in turn: one port, or one per threadline instance. */
  ports: number[];
  /** `rcpt` per file overrides the run's, and is then sent as is (no -N: a number before it would break a signed address). */
  files: Array<{ file: string; count: number; rcpt?: string }>;
  /** Processes at once, one SMTP session each: the number of parallel sessions. */
  sessions: number;
  reuse: boolean;
  from: string;
  /** For the files without their own. */
  rcpt?: string;
  /** Called as each file's smtp-source exits with success: progress for a peer without counters. */
  onFileDone?: () => void;
}

/**
 * smtp-source sends one file per process, so each conversation's replies come from their own
 * process (one session, `count` messages, -N for distinct recipients); `sessions` run at once.
 * Resolves with the seconds from the first start to the last exit; rejects on any non-zero exit
 * (smtp-source aborts on any reply it did not expect: a 4xx or 5xx to DATA).
 */
export async function runSources(o: SourceRun): Promise<number> {
  const program = findProgram('smtp-source');
  let next = 0;
  let failed: Error | null = null;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(o.sessions, o.files.length) }, async () => {
      while (failed === null && next < o.files.length) {
        const i = next++;
        const f = o.files[i]!;
        const port = o.ports[i % o.ports.length]!;
        const rcpt = f.rcpt ? ['-t', f.rcpt] : o.rcpt ? ['-N', '-t', o.rcpt] : [];
        if (rcpt.length === 0) throw new Error(`no recipient for ${f.file}`);
        const args = ['-s', '1', '-m', String(f.count), ...(o.reuse ? ['-d'] : []), '-M', 'mx.example.net', '-f', o.from, ...rcpt, '-F', f.file, `127.0.0.1:${port}`];
        const child = spawnChild(program, args);
        const code = await child.exited;
        if (code !== 0) failed ??= new Error(`smtp-source ${args.join(' ')} exited with ${code}: ${child.output().slice(-1500)}`);
        else o.onFileDone?.();
      }
    }),
  );
  if (failed) throw failed;
  return (performance.now() - t0) / 1000;
}

/** Rejects when `progress()` has not grown for `stallMs` while `work` runs; else resolves with `work`. */
export async function watchdog<T>(work: Promise<T>, progress: () => Promise<number>, stallMs: number, what: string): Promise<T> {
  let done = false;
  const watch = (async () => {
    let last = -1;
    let lastAt = performance.now();
    while (!done) {
      await new Promise((r) => setTimeout(r, 250));
      if (done) return;
      // A stalled server may not answer the probe either: a probe without an answer is no progress.
      const n = await Promise.race([progress(), new Promise<number>((r) => setTimeout(() => r(last), 2_000).unref())]).catch(() => last);
      if (n > last) {
        last = n;
        lastAt = performance.now();
      } else if (performance.now() - lastAt > stallMs) {
        throw new Error(`${what} stalled: no progress for ${stallMs / 1000} s (at ${last})`);
      }
    }
  })();
  try {
    return await Promise.race([work, watch.then(() => work)]);
  } finally {
    done = true;
  }
}

/** The database after the run, for counts only: SQLite opened read-only, PostgreSQL as given. */
export function openForCounts(databaseUrl: string): { db: Kysely<Database>; close(): Promise<void> } {
  if (databaseUrl.startsWith('sqlite://')) {
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(databaseUrl.slice('sqlite://'.length), { readonly: true }) }) });
    return { db, close: () => db.destroy() };
  }
  const opened = openDatabase(databaseUrl);
  return { db: opened.db, close: opened.close };
}

/** For the conversations of one run: inbound messages stored, how they threaded, and what the queue made of them. */
export async function countsFor(db: Kysely<Database>, conversationIds: string[]) {
  const inbound = await db
    .selectFrom('threading_decisions')
    .select(['signal', 'outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('conversation_id', 'in', conversationIds)
    .groupBy(['signal', 'outcome'])
    .execute();
  const events = await db
    .selectFrom('work_item_events')
    .innerJoin('work_items', 'work_items.id', 'work_item_events.work_item_id')
    .select(['work_item_events.type', (eb) => eb.fn.countAll<number>().as('n')])
    .where('work_items.conversation_id', 'in', conversationIds)
    .groupBy('work_item_events.type')
    .execute();
  const stored = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('conversation_id', 'in', conversationIds)
    .where('direction', '=', 'inbound')
    .executeTakeFirstOrThrow();
  const n = (rows: Array<{ n: number | string }>) => rows.reduce((s, r) => s + Number(r.n), 0);
  return {
    stored: Number(stored.n),
    threaded: n(inbound.filter((r) => r.outcome === 'threaded')),
    signals: Object.fromEntries(inbound.map((r) => [`${r.signal}/${r.outcome}`, Number(r.n)])),
    workItemsCreated: n(events.filter((r) => r.type === 'enqueued')),
    workItemsJoined: n(events.filter((r) => r.type === 'message_added')),
  };
}
