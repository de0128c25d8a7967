import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GREETING_DELAY_MS } from '../src/config.js';
import { startSink, stopChild, trackDir } from './children.js';
import { anotherDatabase, benchDatabaseUrl, checkDatabaseOptions, DATABASE_USAGE, type DatabaseOptions, databaseKind } from './database.js';
import { measureParts, partLine, partsSum } from './floors-parts.js';
import { runBounces } from './inbound-bounces.js';
import { api, countsFor, createConversations, openForCounts, runSources, type SentConversation, waitOutboxEmpty, watchdog, writeReplyFiles } from './inbound-lib.js';
import { report } from './inbound-report.js';
import { runHaraka, runMode, runWithoutGreetingDelay } from './inbound-runs.js';
import { parseOptions, positiveInt } from './lib.js';
import { type LookupResult, measureLookup } from './lookup.js';
import { runBench } from './run.js';
import { startThreadlines } from './threadline.js';

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
/** The parts are measured with at most this many messages each: their CPU per message is steady long before. */
const PARTS_MAX = 5000;
/** Haraka runs each mode this often: a peer's rate varies from run to run, so the range is given. */
const PEER_RUNS = 2;

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

async function main(options: Options): Promise<void> {
  const o = { ...options, databaseUrl: await benchDatabaseUrl(options, 'bench_inbound') };
  const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-inbound-')));
  const databaseUrl = o.databaseUrl ?? `sqlite://${path.join(dir, 'threadline.db')}`;
  const database = databaseKind(o.databaseUrl);
  // Other work on the machine shows in every figure here: say how busy it was.
  const load = () => os.loadavg()[0]!.toFixed(2);
  // First, while nothing else of this run is busy: the parts of a reply alone (as bench:floors).
  let partsUs = Number.NaN;
  if (o.mode === 'reply') {
    const n = Math.min(o.messages, PARTS_MAX);
    console.log(`load average ${load()} on ${os.availableParallelism()} cores; the parts of a reply alone (as bench:floors), ${n} messages each:`);
    const parts = await measureParts({ n, dir, paths: ['inbound'], log: (r) => console.log(partLine(r)) });
    partsUs = partsSum(parts, 'inbound');
  }
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
  console.log(
    `load average ${load()}; threadline ${tls.map((t) => `${t.url} (SMTP 127.0.0.1:${t.smtpPort})`).join(', ')}, ${database}; ${o.messages} replies (${size} B, In-Reply-To + References) ` +
      `to ${conversations} conversations per run, ${o.sessions} sessions`,
  );
  const shape = { messages: o.messages, sessions: o.sessions, stallMs: STALL_MS };
  const a = await runMode(tls, filesA, shape, false, rcpt, queueId);
  console.log(`  per-connection: ${o.messages} in ${a.seconds.toFixed(2)} s (greeting delay ${GREETING_DELAY_MS} ms, the default)`);
  const b = await runMode(tls, filesB, shape, true, rcpt, queueId);
  console.log(`  reused:         ${o.messages} in ${b.seconds.toFixed(2)} s`);
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

  const secondUrl = await anotherDatabase(o, 'bench_inbound_greeting', path.join(dir, 'greeting-0.db'));
  const c = secondUrl
    ? await runWithoutGreetingDelay({
        ...shape,
        dir,
        bytes: BYTES,
        perConversation: o.perConversation,
        instances: o.instances,
        threadline: { outboundUrl: 'capture', databaseUrl: secondUrl, zone },
      })
    : null;
  console.log(
    c ? `  per-connection: ${o.messages} in ${c.seconds.toFixed(2)} s (greeting delay 0)` : '  per-connection with greeting delay 0: skipped (--database-url gives no second database)',
  );

  const haraka = await runHaraka({ ...shape, dir: path.join(dir, 'haraka'), domain: inboundDomain, rcpt, runs: PEER_RUNS, filesA, filesB });
  const sink = await startSink();
  const sinkRun = (files: typeof filesA, reuse: boolean) =>
    watchdog(runSources({ ports: [sink.port], files, sessions: o.sessions, reuse, from: 'customer@example.com', rcpt }), async () => sink.count(), STALL_MS, 'smtp-sink');
  const peerA = await sinkRun(filesA, false);
  const peerB = await sinkRun(filesB, true);
  await new Promise((r) => setTimeout(r, 100)); // smtp-sink's counter line trails the last QUIT
  const sunk = sink.count();
  await stopChild(sink.child);

  const lookup: LookupResult[] = o.skipLookup ? [] : await measureLookup({ sizes: o.lookupSizes, samples: 5000, databaseUrl: o.databaseUrl, log: (l) => console.log(l) });
  report({ o, size, conversations, database, partsUs, a, b, c, dbA, dbB, peerA, peerB, sunk, haraka, lookup, load: load() });
}

await runBench({
  name: 'inbound',
  usage: `options: --bounces | --mode reply|bounce, --messages N --sessions S --per-conversation K --skip-lookup --lookup-sizes A,B --profile DIR\n${DATABASE_USAGE}`,
  limitMs: RUN_LIMIT_MS,
  readOptions,
  main,
});
