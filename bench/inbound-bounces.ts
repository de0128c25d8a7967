import fs from 'node:fs';
import os from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/schema.js';
import { bounceAddress, deriveTokenKeys } from '../src/mail/tokens.js';
import { startSink, stopChild } from './children.js';
import { writeBounceFiles } from './dsn.js';
import { openForCounts, runSources, type SentConversation, scrape, watchdog } from './inbound-lib.js';
import { counterValue, jsonLine, round } from './lib.js';
import type { ThreadlineUnderTest } from './threadline.js';

// bench:inbound --bounces: instead of replies, RFC 3464 bounces of the agentless emails, sent by
// smtp-source with a null sender to each message's own return path (bounces+TOKEN@), first one
// per connection, then with connections reused; then the same into smtp-sink as the yardstick.
// threadline reads each as a report and applies it to its message, never threading it.

const APPLIED = 'threadline_reports_applied_total';
const DROPPED = 'threadline_reports_dropped_total';
const CPU = 'threadline_process_cpu_seconds_total';

export interface BounceRun {
  tls: ThreadlineUnderTest[];
  dir: string;
  databaseUrl: string;
  database: string;
  messages: number;
  sessions: number;
  bytes: number;
  stallMs: number;
  convA: SentConversation[];
  convB: SentConversation[];
}

/**
 * For the messages of one run: the bounces applied (each is an entry `bounced` in its message's
 * status history), the messages `bounced`, and their bounce rows (one per message, the latest).
 */
async function bounceCounts(db: Kysely<Database>, ids: string[]) {
  const applied = await db
    .selectFrom('message_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('message_id', 'in', ids)
    .where('status', '=', 'bounced')
    .executeTakeFirstOrThrow();
  const bounced = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('id', 'in', ids)
    .where('status', '=', 'bounced')
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('message_bounces')
    .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
    .where('message_id', 'in', ids)
    .groupBy('type')
    .execute();
  return {
    applied: Number(applied.n),
    bounced: Number(bounced.n),
    rows: rows.reduce((s, r) => s + Number(r.n), 0),
    types: Object.fromEntries(rows.map((r) => [r.type ?? 'none', Number(r.n)])),
  };
}

export async function runBounces(r: BounceRun): Promise<void> {
  const { tls } = r;
  const tl = tls[0]!;
  // The keys threadline signs its return paths with, from the secret the bench gave it (as src/secret.ts reads it).
  const keys = deriveTokenKeys(Buffer.from(tl.secret, 'utf8'));
  const of = (c: SentConversation) => ({ returnPath: bounceAddress(keys, c.id, tl.senderDomain), from: `notifications@${tl.senderDomain}` });
  const filesA = writeBounceFiles(r.dir, 'a', r.convA, r.messages, r.bytes, of);
  const filesB = writeBounceFiles(r.dir, 'b', r.convB, r.messages, r.bytes, of);
  const size = fs.statSync(filesA[0]!.file).size;
  const load = () => os.loadavg()[0]!.toFixed(2);
  console.log(
    `load average ${load()} on ${os.cpus().length} cores; threadline ${tls.map((t) => `${t.url} (SMTP 127.0.0.1:${t.smtpPort})`).join(', ')}, ${r.database}; ${r.messages} bounces ` +
      `(${size} B, multipart/report DSN, null sender) to the return paths of ${filesA.length} messages per run, ${r.sessions} sessions`,
  );

  const run = async (files: typeof filesA, reuse: boolean) => {
    const before = await scrape(tls);
    const applied = async () => {
      const now = await scrape(tls);
      return counterValue(now, APPLIED) + counterValue(now, DROPPED);
    };
    const seconds = await watchdog(
      runSources({ ports: tls.map((t) => t.smtpPort), files, sessions: r.sessions, reuse, from: '' }),
      applied,
      r.stallMs,
      `threadline bounces (${reuse ? 'reused' : 'per-connection'})`,
    );
    const after = await scrape(tls);
    const delta = (name: string, labels: Record<string, string> = {}) => counterValue(after, name, labels) - counterValue(before, name, labels);
    const res = { seconds, applied: delta(APPLIED, { outcome: 'bounced' }), dropped: delta(DROPPED), cpuMsPerMessage: (delta(CPU) * 1000) / r.messages };
    if (res.applied !== r.messages || res.dropped !== 0)
      throw new Error(`bounces (${reuse ? 'reused' : 'per-connection'}): smtp-source had ${r.messages} answered 250, threadline applied ${res.applied} and dropped ${res.dropped}`);
    return res;
  };
  const a = await run(filesA, false);
  console.log(`  per-connection: ${r.messages} in ${a.seconds.toFixed(2)} s`);
  const b = await run(filesB, true);
  console.log(`  reused:         ${r.messages} in ${b.seconds.toFixed(2)} s`);
  await Promise.all(tls.map((t) => stopChild(t.child)));

  const counts = openForCounts(r.databaseUrl);
  const ids = (c: SentConversation[]) => c.map((x) => x.id);
  const [dbA, dbB] = await Promise.all([bounceCounts(counts.db, ids(r.convA)), bounceCounts(counts.db, ids(r.convB))]).finally(() => counts.close());
  for (const [name, d, files] of [
    ['per-connection', dbA, filesA],
    ['reused', dbB, filesB],
  ] as const) {
    if (d.applied !== r.messages || d.bounced !== files.length || d.rows !== files.length)
      throw new Error(
        `${name}: the database holds ${d.applied} bounces applied, ${d.bounced} messages bounced and ${d.rows} bounce rows; smtp-source sent ${r.messages} bounces for ${files.length} messages`,
      );
  }

  const sink = await startSink();
  const peer = async (files: typeof filesA, reuse: boolean) =>
    watchdog(runSources({ ports: [sink.port], files, sessions: r.sessions, reuse, from: '' }), async () => sink.count(), r.stallMs, 'smtp-sink');
  const peerA = await peer(filesA, false);
  const peerB = await peer(filesB, true);
  await new Promise((res) => setTimeout(res, 100)); // smtp-sink's counter line trails the last QUIT
  const sunk = sink.count();
  await stopChild(sink.child);

  const rate = (s: number) => r.messages / s;
  const mode = (m: typeof a, d: typeof dbA, peerSeconds: number) => ({
    stored_per_s: round(rate(m.seconds)),
    applied: d.applied,
    bounced_messages: d.bounced,
    bounce_rows: d.rows,
    cpu_ms_per_message: round(m.cpuMsPerMessage, 2),
    peer_per_s: round(rate(peerSeconds)),
    ratio: round(rate(m.seconds) / rate(peerSeconds), 3),
  });
  const line = (name: string, m: typeof a, d: typeof dbA, peerSeconds: number) =>
    `${name.padEnd(15)} applied ${d.applied} in ${m.seconds.toFixed(2)} s = ${round(rate(m.seconds))}/s; ${d.bounced} messages bounced, ${d.rows} bounce rows (${Object.entries(d.types)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}); threadline CPU ${m.cpuMsPerMessage.toFixed(2)} ms/message\n` +
    `${''.padEnd(15)} peer smtp-source → smtp-sink ${peerSeconds.toFixed(2)} s = ${round(rate(peerSeconds))}/s; ratio ${(rate(m.seconds) / rate(peerSeconds)).toFixed(3)}`;
  console.log(`
${line('per-connection', a, dbA, peerA)}
${line('reused (-d)', b, dbB, peerB)}
smtp-sink counted ${sunk} of ${2 * r.messages}; database ${r.database}${tls.length > 1 ? `, ${tls.length} instances` : ''}; load average now ${load()}
`);
  console.log(
    jsonLine({
      bench: 'inbound',
      mode: 'bounce',
      messages: r.messages,
      sessions: r.sessions,
      bytes: size,
      bounced_messages: filesA.length,
      per_connection: mode(a, dbA, peerA),
      reused: mode(b, dbB, peerB),
      peer: 'smtp-source→smtp-sink',
      database: r.database,
      instances: tls.length,
      load_1m: Number(load()),
    }),
  );
}
