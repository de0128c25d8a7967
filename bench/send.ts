import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSink, trackDir } from './children.js';
import { anotherDatabase, benchDatabaseUrl, checkDatabaseOptions, DATABASE_USAGE, databaseKind } from './database.js';
import { BODY_BYTES } from './deliveries.js';
import { measureParts, partLine, partsSum, SIGNATURE_LABEL } from './floors-parts.js';
import { jsonLine, parseOptions, percentile, positiveInt, round } from './lib.js';
import { runBench } from './run.js';
import { bareRoute, nodemailerPeer, smtpSourcePeer } from './send-peers.js';
import { phaseRates, phaseTable, type SendPhase, sendPhase } from './send-phase.js';

// npm run bench:send [-- --messages N] [--concurrency C] [--warmup N] [--database-url URL | --postgres] [--instances N[,M…]] [--profile DIR]
//   --warmup N      sends and delivers N messages first, measuring only the ones after (as the
//                   parts are measured: past the JIT's tiers); default 5000. Their CPU per message
//                   (a fresh process's, V8 compiling the hot code) is printed beside; 0 measures from start.
//   (--database-url, --postgres, --instances: see DATABASE_USAGE in bench/database.ts)
//   --instances 1,2 with --postgres: one phase per count, each on an empty database of the same
//                   cluster, after the same load on SQLite: the sizing table comes from one run
//   --profile DIR   runs threadline under `node --cpu-prof`, writing its profile into DIR
//
// Agentless sends over HTTP into threadline, delivered by threadline over SMTP into Postfix's
// smtp-sink, set against what the same run measures besides: first the parts alone (as
// bench:floors) and a bare hono route that inserts one SQLite row; after threadline, Postfix's
// smtp-source into the same sink (the wire's limit) and nodemailer's pooled transport with its
// own DKIM (the peer), with the same message size, concurrency and connection reuse. Ratios first.

/** For one threadline phase (with the parts and the peers); each further phase adds as much. */
const RUN_LIMIT_MS = 5 * 60_000;
/** Messages sent before the measured ones by default: well past V8's compilation of the hot code. */
const DEFAULT_WARMUP = 5000;
/** The parts are measured with at most this many messages each: their CPU per message is steady long before. */
const PARTS_MAX = 5000;

interface Options {
  messages: number;
  concurrency: number;
  databaseUrl?: string;
  postgres: boolean;
  instances: number;
  /** Every count of --instances, in order (the first is `instances`). */
  counts: number[];
  profileDir?: string;
  warmup: number;
}

function readOptions(argv: string[]): Options {
  // --postgres is the one flag without a value.
  const postgres = argv.includes('--postgres');
  const o = parseOptions(
    argv.filter((a) => a !== '--postgres'),
    ['messages', 'concurrency', 'database-url', 'instances', 'profile', 'warmup'],
  );
  const counts = (o.instances ?? '1').split(',').map((n) => positiveInt('instances', n.trim(), 1));
  if (counts.length > 1 && !postgres) throw new Error('--instances with several counts needs --postgres (an empty database for each)');
  for (const n of counts) checkDatabaseOptions({ databaseUrl: o['database-url'], postgres, instances: n });
  return {
    messages: positiveInt('messages', o.messages, 20_000),
    concurrency: positiveInt('concurrency', o.concurrency, 20),
    databaseUrl: o['database-url'],
    postgres,
    instances: counts[0]!,
    counts,
    profileDir: o.profile,
    warmup: o.warmup === '0' ? 0 : positiveInt('warmup', o.warmup, DEFAULT_WARMUP),
  };
}

async function main(o: Options): Promise<void> {
  const databaseUrl = await benchDatabaseUrl(o, 'bench_send');
  await run({ ...o, databaseUrl });
}

async function run(o: Options): Promise<void> {
  const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-send-')));
  // First, while nothing else of this run is busy: the parts alone, then the bare route.
  const partsN = Math.min(o.messages, PARTS_MAX);
  console.log(`load average ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores; the parts of a send alone (as bench:floors), ${partsN} messages each:`);
  const parts = await measureParts({ n: partsN, dir, paths: ['send'], log: (r) => console.log(partLine(r)) });
  const partsUs = partsSum(parts, 'send');
  const signatureUs = parts.find((r) => r.label === SIGNATURE_LABEL)!.us;
  const bare = await bareRoute(dir, o.messages, o.concurrency, 'FULL');
  const unsynced = await bareRoute(dir, o.messages, o.concurrency, 'NORMAL');
  for (const [name, r] of [
    ['each row synced before its 202 (synchronous = FULL)', bare],
    ['rows synced at checkpoints (synchronous = NORMAL)', unsynced],
  ] as const)
    console.log(`bare hono route inserting one SQLite row, ${name}: ${round(r.perS)} accepted/s, ${r.cpuUs.toFixed(0)} µs of CPU per request`);

  const sink = await startSink();
  const log = (line: string) => console.log(line);
  const phases: SendPhase[] = [];
  // On --postgres, the same load on SQLite first: what PostgreSQL costs against it, in one run.
  if (o.postgres) phases.push(await sendPhase(o, sink, undefined, 1, log));
  for (const [i, n] of o.counts.entries()) {
    const url = i === 0 ? o.databaseUrl : await anotherDatabase(o, `bench_send_${n}`, path.join(dir, `send-${n}.db`));
    phases.push(await sendPhase(o, sink, url ?? undefined, n, log));
  }
  const main = phases.find((p) => p.database === databaseKind(o.databaseUrl))!;
  const before = sink.count();
  const wire = await smtpSourcePeer(sink.port, o.messages, o.concurrency, BODY_BYTES);
  const mailer = await nodemailerPeer(sink.port, o.messages, o.concurrency);
  await new Promise((r) => setTimeout(r, 100)); // smtp-sink's counter line trails the last QUIT
  const peerSunk = sink.count() - before;

  const { acceptedPerS, deliveredPerS, signedPerS } = phaseRates(main, o.messages);
  const cpuMsPerMessage = main.cpuMsPerMessage;
  const sorted = main.latencies;
  const database = databaseKind(o.databaseUrl);
  const ratios = {
    cpu_vs_parts: round((cpuMsPerMessage * 1000) / partsUs, 2),
    accepted_vs_bare_route: round(acceptedPerS / bare.perS, 2),
    accepted_vs_bare_route_unsynced: round(acceptedPerS / unsynced.perS, 2),
    delivered_vs_nodemailer: round(deliveredPerS / mailer.perS, 2),
    delivered_vs_smtp_sink: round(deliveredPerS / wire.perS, 3),
    // threadline's CPU per message on PostgreSQL against SQLite's, one instance each (--postgres).
    cpu_vs_sqlite: o.postgres ? round(cpuMsPerMessage / phases[0]!.cpuMsPerMessage, 2) : null,
  };
  const table = phaseTable(phases, o.messages);
  const dbCpu = main.databaseCpuMsPerMessage;
  const verdict = (met: boolean) => (met ? 'met' : 'not met');

  console.log(`
ratios     CPU per message ÷ parts' sum         ${ratios.cpu_vs_parts.toFixed(2)}   (${cpuMsPerMessage.toFixed(2)} ms ÷ ${(partsUs / 1000).toFixed(2)} ms; goal ≤ 1.5: ${verdict(ratios.cpu_vs_parts <= 1.5)})
           accepted/s ÷ bare route               ${ratios.accepted_vs_bare_route.toFixed(2)}   (${round(acceptedPerS)} ÷ ${round(bare.perS)}, each row synced as threadline's are; goal ≥ 0.5: ${verdict(ratios.accepted_vs_bare_route >= 0.5)})
           accepted/s ÷ bare route, unsynced     ${ratios.accepted_vs_bare_route_unsynced.toFixed(2)}   (${round(acceptedPerS)} ÷ ${round(unsynced.perS)}: against the route's CPU alone)
           delivered/s ÷ nodemailer pool + DKIM  ${ratios.delivered_vs_nodemailer.toFixed(2)}   (${round(deliveredPerS)} ÷ ${round(mailer.perS)}; nodemailer ${(mailer.cpuUs / 1000).toFixed(2)} ms of CPU per message)
           delivered/s ÷ smtp-source → smtp-sink ${ratios.delivered_vs_smtp_sink.toFixed(3)}  (${round(deliveredPerS)} ÷ ${round(wire.perS)}: the wire's limit)
${
  ratios.cpu_vs_sqlite === null
    ? ''
    : `           CPU per message ÷ SQLite's           ${ratios.cpu_vs_sqlite.toFixed(2)}   (${cpuMsPerMessage.toFixed(2)} ÷ ${phases[0]!.cpuMsPerMessage.toFixed(2)} ms, threadline alone; goal ≤ 1.5: ${verdict(ratios.cpu_vs_sqlite <= 1.5)})
`
}machine    RSA-2048 signature ${signatureUs.toFixed(0)} µs; ${os.availableParallelism()} cores; load average now ${os.loadavg()[0]!.toFixed(2)}

accepted   ${o.messages} × 202 in ${main.acceptSeconds.toFixed(2)} s   ${round(acceptedPerS)} /s   latency p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted[sorted.length - 1]!.toFixed(2)} ms
delivered  ${o.messages} in ${main.deliverSeconds.toFixed(2)} s from the first send   ${round(deliveredPerS)} /s   (smtp-sink counted ${main.sunk})
signed     ${main.signed} of them DKIM-signed with the sender domain's key   ${round(signedPerS)} signed /s delivered
peers      smtp-source and nodemailer, ${BODY_BYTES} B, ${o.concurrency} sessions, reused: ${o.messages} each (smtp-sink counted ${peerSunk} of ${2 * o.messages})
threadline ${cpuMsPerMessage.toFixed(2)} ms of CPU per message, accepted and delivered${main.coldCpuMsPerMessage === null ? '' : ` (the first ${o.warmup}, from a fresh process: ${main.coldCpuMsPerMessage.toFixed(2)} ms)`} (${((100 * cpuMsPerMessage * o.messages) / 1000 / main.deliverSeconds).toFixed(0)}% of one core${o.instances > 1 ? `, ${o.instances} instances together` : ''}); this load generator ${main.clientMsPerRequest.toFixed(2)} ms per request
database   ${database}${o.instances > 1 ? `, ${o.instances} instances` : ''}${dbCpu === null ? '' : `; the server's own CPU ${dbCpu.toFixed(2)} ms per message`} (the parts and the bare route: SQLite)
${phases.length > 1 ? `\n${table.text}\n` : ''}`);
  console.log(
    jsonLine({
      bench: 'send',
      messages: o.messages,
      warmup: o.warmup,
      concurrency: o.concurrency,
      database,
      instances: o.instances,
      ratios,
      rsa2048_sign_us: round(signatureUs),
      parts_us: round(partsUs),
      cpu_ms_per_message: round(cpuMsPerMessage, 3),
      cold_cpu_ms_per_message: main.coldCpuMsPerMessage === null ? null : round(main.coldCpuMsPerMessage, 3),
      database_cpu_ms_per_message: dbCpu === null ? null : round(dbCpu, 3),
      phases: table.json,
      accepted_per_s: round(acceptedPerS),
      delivered_per_s: round(deliveredPerS),
      signed_delivered_per_s: round(signedPerS),
      accept_p50_ms: round(percentile(sorted, 50), 2),
      accept_p99_ms: round(percentile(sorted, 99), 2),
      bare_route_per_s: round(bare.perS),
      bare_route_unsynced_per_s: round(unsynced.perS),
      nodemailer_per_s: round(mailer.perS),
      nodemailer_cpu_ms_per_message: round(mailer.cpuUs / 1000, 3),
      peer: 'smtp-source→smtp-sink',
      peer_per_s: round(wire.perS),
      ratio: ratios.delivered_vs_smtp_sink,
    }),
  );
}

await runBench({
  name: 'send',
  usage: `options: --messages N --concurrency C --warmup N --profile DIR\n${DATABASE_USAGE}`,
  limitMs: (o: Options) => RUN_LIMIT_MS * (o.counts.length + (o.postgres ? 1 : 0)),
  readOptions,
  main,
});
