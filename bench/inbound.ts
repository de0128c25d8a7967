import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSink, stopChild, trackDir } from './children.js';
import { benchDatabaseUrl, checkDatabaseOptions, DATABASE_USAGE, type DatabaseOptions, databaseKind } from './database.js';
import { runBounces } from './inbound-bounces.js';
import { api, countsFor, createConversations, openForCounts, runSources, type SentConversation, scrape, waitOutboxEmpty, watchdog, writeReplyFiles } from './inbound-lib.js';
import { counterValue, jsonLine, parseOptions, positiveInt, round } from './lib.js';
import { type LookupResult, measureLookup } from './lookup.js';
import { runBench } from './run.js';
import { startThreadlines, type ThreadlineUnderTest } from './threadline.js';

// npm run bench:inbound [-- --bounces | --mode reply|bounce] [--messages N] [--sessions S] [--per-conversation K] [--skip-lookup]
//     [--lookup-sizes 10000,100000,1000000] [--database-url URL | --postgres] [--instances N] [--profile DIR]
//   --database-url, --postgres, --instances: see DATABASE_USAGE in bench/database.ts; on
//                   PostgreSQL the lookup runs in a scratch database on the same server; with
//                   several instances the smtp-source processes go to them in turn
//   --profile DIR   runs threadline under `node --cpu-prof`, writing its profile into DIR
//   --bounces (--mode bounce) sends RFC 3464 bounces to the messages' return paths instead of
//                   replies, with the same counts, size and sessions (bench/inbound-bounces.ts);
//                   the thread lookup is not measured then
//
// Customers' replies, sent by Postfix's smtp-source to threadline's SMTP port: first one message
// per connection, then with connections reused (-d); the same message count, size and parallel
// sessions each time. Then, as the yardstick, the same smtp-source runs into Postfix's smtp-sink.
// Last, the thread lookup alone (decide() in this process) as the store grows to a million.

const BYTES = 2048;
const STALL_MS = 30_000;
const RUN_LIMIT_MS = 5 * 60_000;
const CPU = 'threadline_process_cpu_seconds_total';
const STORED = 'threadline_inbound_messages_total';

interface Options extends DatabaseOptions {
  messages: number;
  sessions: number;
  perConversation: number;
  lookupSizes: number[];
  skipLookup: boolean;
  profileDir?: string;
  mode: 'reply' | 'bounce';
}

function readOptions(argv: string[]): Options {
  const skipLookup = argv.includes('--skip-lookup');
  const postgres = argv.includes('--postgres');
  const bounces = argv.includes('--bounces');
  const o = parseOptions(
    argv.filter((a) => a !== '--skip-lookup' && a !== '--postgres' && a !== '--bounces'),
    ['messages', 'sessions', 'per-conversation', 'lookup-sizes', 'database-url', 'instances', 'profile', 'mode'],
  );
  const mode = bounces ? 'bounce' : (o.mode ?? 'reply');
  if (mode !== 'reply' && mode !== 'bounce') throw new Error(`--mode must be reply or bounce (got ${mode})`);
  const lookupSizes = (o['lookup-sizes'] ?? '10000,100000,1000000').split(',').map((s) => positiveInt('lookup-sizes', s.trim(), 0));
  return {
    messages: positiveInt('messages', o.messages, 10_000),
    sessions: positiveInt('sessions', o.sessions, 20),
    // smtp-source repeats one file per process. Copies of one message share a content hash, and
    // the duplicate check reads every stored row with that hash (its index is content_hash only):
    // a few dozen per file keep that cost what it is for real, distinct mail.
    perConversation: positiveInt('per-conversation', o['per-conversation'], 50),
    lookupSizes,
    skipLookup,
    ...checkDatabaseOptions({ databaseUrl: o['database-url'], postgres, instances: positiveInt('instances', o.instances, 1) }),
    profileDir: o.profile,
    mode,
  };
}

interface ModeResult {
  seconds: number;
  stored: number;
  threaded: number;
  duplicates: number;
  waitingAdded: number;
  cpuMsPerMessage: number;
}

async function runMode(tls: ThreadlineUnderTest[], files: Array<{ file: string; count: number }>, o: Options, reuse: boolean, rcpt: string, queueId: string): Promise<ModeResult> {
  const tl = tls[0]!;
  const before = await scrape(tls);
  const waitingBefore = (await api<{ waiting: number }>(tl, 'GET', `/api/v2/routing/queues/${queueId}/stats`)).waiting;
  const stored = async () => counterValue(await scrape(tls), STORED);
  const work = runSources({ ports: tls.map((t) => t.smtpPort), files, sessions: o.sessions, reuse, from: 'customer@example.com', rcpt });
  const seconds = await watchdog(work, stored, STALL_MS, `threadline (${reuse ? 'reused' : 'per-connection'})`);
  const after = await scrape(tls);
  const waitingAfter = (await api<{ waiting: number }>(tl, 'GET', `/api/v2/routing/queues/${queueId}/stats`)).waiting;
  const delta = (name: string, labels: Record<string, string> = {}) => counterValue(after, name, labels) - counterValue(before, name, labels);
  return {
    seconds,
    stored: delta(STORED),
    threaded: delta(STORED, { outcome: 'threaded' }),
    duplicates: delta('threadline_inbound_duplicates_total'),
    waitingAdded: waitingAfter - waitingBefore,
    cpuMsPerMessage: (delta(CPU) * 1000) / o.messages,
  };
}

async function main(options: Options): Promise<void> {
  const o = { ...options, databaseUrl: await benchDatabaseUrl(options, 'bench_inbound') };
  const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-inbound-')));
  const databaseUrl = o.databaseUrl ?? `sqlite://${path.join(dir, 'threadline.db')}`;
  const database = databaseKind(o.databaseUrl);
  // The customers' domain: SPF for the loopback sender and DMARC enforcement, so that every reply
  // is authenticated for real (SPF aligned with From) before it may join its conversation.
  const zone = {
    'example.com': [{ type: 'TXT' as const, data: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    '_dmarc.example.com': [{ type: 'TXT' as const, data: 'v=DMARC1; p=reject' }],
  };
  const tls = await startThreadlines({ outboundUrl: 'capture', databaseUrl, profileDir: o.profileDir, zone }, o.instances);
  const tl = tls[0]!;
  const queueId = (await api<{ entities: Array<{ id: string }> }>(tl, 'GET', '/api/v2/routing/queues')).entities[0]!.id;

  // Each run replies to its own conversations, so that the second neither repeats nor joins the first.
  const conversations = Math.ceil(o.messages / o.perConversation);
  const convA = await createConversations(tl, 'a', conversations);
  const convB = await createConversations(tl, 'b', conversations);
  await waitOutboxEmpty(tls);
  if (o.mode === 'bounce') {
    await runBounces({ tls, dir, databaseUrl, database, messages: o.messages, sessions: o.sessions, bytes: BYTES, stallMs: STALL_MS, convA, convB });
    return;
  }
  const inboundDomain = convA[0]!.replyTo.split('@')[1]!;
  // smtp-source -N prefixes each recipient with a number: distinct messages, and not a reply token, so In-Reply-To threads them.
  const rcpt = `support@${inboundDomain}`;
  const filesA = writeReplyFiles(dir, 'a', convA, o.messages, BYTES);
  const filesB = writeReplyFiles(dir, 'b', convB, o.messages, BYTES);
  const size = fs.statSync(filesA[0]!.file).size;
  // Other work on the machine shows in every figure here: say how busy it was.
  const load = () => os.loadavg()[0]!.toFixed(2);
  console.log(
    `load average ${load()} on ${os.cpus().length} cores; threadline ${tls.map((t) => `${t.url} (SMTP 127.0.0.1:${t.smtpPort})`).join(', ')}, ${database}; ${o.messages} replies (${size} B, In-Reply-To + References) ` +
      `to ${conversations} conversations per run, ${o.sessions} sessions`,
  );

  const a = await runMode(tls, filesA, o, false, rcpt, queueId);
  console.log(`  per-connection: ${o.messages} in ${a.seconds.toFixed(2)} s`);
  const b = await runMode(tls, filesB, o, true, rcpt, queueId);
  console.log(`  reused:         ${o.messages} in ${b.seconds.toFixed(2)} s`);
  for (const [name, r] of [
    ['per-connection', a],
    ['reused', b],
  ] as const) {
    if (r.stored !== o.messages || r.duplicates !== 0)
      throw new Error(`${name}: smtp-source had ${o.messages} answered 250, threadline counted ${r.stored} stored and ${r.duplicates} duplicates`);
  }
  await Promise.all(tls.map((t) => stopChild(t.child)));

  const counts = openForCounts(databaseUrl);
  const ids = (c: SentConversation[]) => c.map((x) => x.conversationId);
  const [dbA, dbB] = await Promise.all([countsFor(counts.db, ids(convA)), countsFor(counts.db, ids(convB))]).finally(() => counts.close());
  for (const [name, r] of [
    ['per-connection', dbA],
    ['reused', dbB],
  ] as const) {
    if (r.stored !== o.messages) throw new Error(`${name}: the database holds ${r.stored} inbound messages, smtp-source sent ${o.messages}`);
  }

  const sink = await startSink();
  const peerA = await watchdog(
    runSources({ ports: [sink.port], files: filesA, sessions: o.sessions, reuse: false, from: 'customer@example.com', rcpt }),
    async () => sink.count(),
    STALL_MS,
    'smtp-sink',
  );
  const peerB = await watchdog(
    runSources({ ports: [sink.port], files: filesB, sessions: o.sessions, reuse: true, from: 'customer@example.com', rcpt }),
    async () => sink.count(),
    STALL_MS,
    'smtp-sink',
  );
  await new Promise((r) => setTimeout(r, 100)); // smtp-sink's counter line trails the last QUIT
  const sunk = sink.count();
  await stopChild(sink.child);

  const lookup: LookupResult[] = o.skipLookup ? [] : await measureLookup({ sizes: o.lookupSizes, samples: 5000, databaseUrl: o.databaseUrl, log: (l) => console.log(l) });

  const rate = (s: number) => o.messages / s;
  const mode = (r: ModeResult, d: typeof dbA, peerSeconds: number) => ({
    stored_per_s: round(rate(r.seconds)),
    threaded: d.threaded,
    queued: d.workItemsCreated + d.workItemsJoined,
    work_items_created: d.workItemsCreated,
    cpu_ms_per_message: round(r.cpuMsPerMessage, 2),
    peer_per_s: round(rate(peerSeconds)),
    ratio: round(rate(r.seconds) / rate(peerSeconds), 3),
  });
  const line = (name: string, r: ModeResult, d: typeof dbA, peerSeconds: number) =>
    `${name.padEnd(15)} stored ${o.messages} in ${r.seconds.toFixed(2)} s = ${round(rate(r.seconds))}/s; threaded ${d.threaded} (${Object.entries(d.signals)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}); ` +
    `queued ${d.workItemsCreated + d.workItemsJoined} (${d.workItemsCreated} new work items, ${d.workItemsJoined} joined; stats waiting +${r.waitingAdded}); ` +
    `threadline CPU ${r.cpuMsPerMessage.toFixed(2)} ms/message\n${''.padEnd(15)} peer smtp-source → smtp-sink ${peerSeconds.toFixed(2)} s = ${round(rate(peerSeconds))}/s; ratio ${(rate(r.seconds) / rate(peerSeconds)).toFixed(3)}`;
  const label = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
  console.log(`
${line('per-connection', a, dbA, peerA)}
${line('reused (-d)', b, dbB, peerB)}
smtp-sink counted ${sunk} of ${2 * o.messages}; database ${database}${o.instances > 1 ? `, ${o.instances} instances` : ''}${o.skipLookup ? '; lookup skipped' : ''}; load average now ${load()}
goal ≥ 1,000 replies/s stored with reuse: ${rate(b.seconds) >= 1000 ? 'met' : 'not met'}${lookup.length ? `; lookup p99 ≤ 2 ms: ${lookup.every((l) => l.p99 <= 2) ? 'met' : 'not met'}` : ''}
`);
  console.log(
    jsonLine({
      bench: 'inbound',
      mode: 'reply',
      messages: o.messages,
      sessions: o.sessions,
      bytes: size,
      conversations,
      per_connection: mode(a, dbA, peerA),
      reused: mode(b, dbB, peerB),
      peer: 'smtp-source→smtp-sink',
      lookup: Object.fromEntries(lookup.map((l) => [label(l.size), { p50_ms: round(l.p50, 3), p99_ms: round(l.p99, 3) }])),
      database,
      instances: o.instances,
      load_1m: Number(load()),
    }),
  );
}

await runBench({
  name: 'inbound',
  usage: `options: --bounces | --mode reply|bounce, --messages N --sessions S --per-conversation K --skip-lookup --lookup-sizes A,B --profile DIR\n${DATABASE_USAGE}`,
  limitMs: RUN_LIMIT_MS,
  readOptions,
  main,
});
