import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSink, stopChild, trackDir } from './children.js';
import { benchDatabaseUrl, checkDatabaseOptions, DATABASE_USAGE, databaseKind } from './database.js';
import { BODY_BYTES, sendLoad, waitForDeliveries } from './deliveries.js';
import { measureParts, partLine, partsSum, SIGNATURE_LABEL } from './floors-parts.js';
import { jsonLine, parseOptions, percentile, positiveInt, round } from './lib.js';
import { runBench } from './run.js';
import { bareRoute, nodemailerPeer, smtpSourcePeer } from './send-peers.js';
import { counts } from './sends.js';
import { startThreadlines } from './threadline.js';

// npm run bench:send [-- --messages N] [--concurrency C] [--warmup N] [--database-url URL | --postgres] [--instances N] [--profile DIR]
//   --warmup N      sends and delivers N messages first, measuring only the ones after (as the
//                   parts are measured: past the JIT's tiers); default 5000. Their CPU per message
//                   (a fresh process's, V8 compiling the hot code) is printed beside; 0 measures from start.
//   (--database-url, --postgres, --instances: see DATABASE_USAGE in bench/database.ts)
//   --profile DIR   runs threadline under `node --cpu-prof`, writing its profile into DIR
//
// Agentless sends over HTTP into threadline, delivered by threadline over SMTP into Postfix's
// smtp-sink, set against what the same run measures besides: first the parts alone (as
// bench:floors) and a bare hono route that inserts one SQLite row; after threadline, Postfix's
// smtp-source into the same sink (the wire's limit) and nodemailer's pooled transport with its
// own DKIM (the peer), with the same message size, concurrency and connection reuse. Ratios first.

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
  return {
    messages: positiveInt('messages', o.messages, 20_000),
    concurrency: positiveInt('concurrency', o.concurrency, 20),
    ...checkDatabaseOptions({ databaseUrl: o['database-url'], postgres, instances: positiveInt('instances', o.instances, 1) }),
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
  const tls = await startThreadlines({ outboundUrl: `smtp://127.0.0.1:${sink.port}`, databaseUrl: o.databaseUrl, profileDir: o.profileDir }, o.instances);
  console.log(`threadline ${tls.map((t) => t.url).join(', ')}, smtp-sink 127.0.0.1:${sink.port}; sending ${o.messages} messages, ${o.concurrency} at a time`);

  let coldMsPerMessage: number | null = null;
  if (o.warmup > 0) {
    // V8 compiles the hot code on background threads during the first thousands of messages:
    // CPU a long-running process pays once.
    const coldBefore = (await counts(tls)).cpuSeconds;
    const warm = sendLoad(tls, { messages: o.warmup, concurrency: o.concurrency });
    const [, warmed] = await Promise.all([warm.load, waitForDeliveries(tls, o.warmup, warm.failed)]);
    coldMsPerMessage = ((warmed.cpuSeconds - coldBefore) * 1000) / o.warmup;
    console.log(`warmed up: ${o.warmup} messages sent and delivered before the measured ones, ${coldMsPerMessage.toFixed(2)} ms of CPU each (a fresh process)`);
  }
  const start = await counts(tls);
  const cpuBefore = start.cpuSeconds;
  const clientCpuBefore = process.cpuUsage();
  const { load, failed } = sendLoad(tls, o);
  // Both run at once: deliveries begin while sends are still being accepted.
  const [accepted, delivered] = await Promise.all([load, waitForDeliveries(tls, o.warmup + o.messages, failed)]);
  const threadlineSunk = sink.count();
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const clientMsPerRequest = (clientCpu.user + clientCpu.system) / 1000 / o.messages;
  // Stopped before the peers run, so that each has the machine to itself as threadline had.
  await Promise.all(tls.map((t) => stopChild(t.child)));

  const before = sink.count();
  const wire = await smtpSourcePeer(sink.port, o.messages, o.concurrency, BODY_BYTES);
  const mailer = await nodemailerPeer(sink.port, o.messages, o.concurrency);
  await new Promise((r) => setTimeout(r, 100)); // smtp-sink's counter line trails the last QUIT
  const peerSunk = sink.count() - before;

  const acceptSeconds = (accepted.finishedAt - accepted.startedAt) / 1000;
  const deliverSeconds = (delivered.at - accepted.startedAt) / 1000;
  const cpuMsPerMessage = ((delivered.cpuSeconds - cpuBefore) * 1000) / o.messages;
  const sorted = Array.from(accepted.latencies).sort((a, b) => a - b);
  const acceptedPerS = o.messages / acceptSeconds;
  const deliveredPerS = o.messages / deliverSeconds;
  const signed = delivered.signed - start.signed;
  const signedPerS = signed / deliverSeconds;
  const database = databaseKind(o.databaseUrl);
  const ratios = {
    cpu_vs_parts: round((cpuMsPerMessage * 1000) / partsUs, 2),
    accepted_vs_bare_route: round(acceptedPerS / bare.perS, 2),
    accepted_vs_bare_route_unsynced: round(acceptedPerS / unsynced.perS, 2),
    delivered_vs_nodemailer: round(deliveredPerS / mailer.perS, 2),
    delivered_vs_smtp_sink: round(deliveredPerS / wire.perS, 3),
  };
  const verdict = (met: boolean) => (met ? 'met' : 'not met');

  console.log(`
ratios     CPU per message ÷ parts' sum         ${ratios.cpu_vs_parts.toFixed(2)}   (${cpuMsPerMessage.toFixed(2)} ms ÷ ${(partsUs / 1000).toFixed(2)} ms; goal ≤ 1.5: ${verdict(ratios.cpu_vs_parts <= 1.5)})
           accepted/s ÷ bare route               ${ratios.accepted_vs_bare_route.toFixed(2)}   (${round(acceptedPerS)} ÷ ${round(bare.perS)}, each row synced as threadline's are; goal ≥ 0.5: ${verdict(ratios.accepted_vs_bare_route >= 0.5)})
           accepted/s ÷ bare route, unsynced     ${ratios.accepted_vs_bare_route_unsynced.toFixed(2)}   (${round(acceptedPerS)} ÷ ${round(unsynced.perS)}: against the route's CPU alone)
           delivered/s ÷ nodemailer pool + DKIM  ${ratios.delivered_vs_nodemailer.toFixed(2)}   (${round(deliveredPerS)} ÷ ${round(mailer.perS)}; nodemailer ${(mailer.cpuUs / 1000).toFixed(2)} ms of CPU per message)
           delivered/s ÷ smtp-source → smtp-sink ${ratios.delivered_vs_smtp_sink.toFixed(3)}  (${round(deliveredPerS)} ÷ ${round(wire.perS)}: the wire's limit)
machine    RSA-2048 signature ${signatureUs.toFixed(0)} µs; ${os.availableParallelism()} cores; load average now ${os.loadavg()[0]!.toFixed(2)}

accepted   ${o.messages} × 202 in ${acceptSeconds.toFixed(2)} s   ${round(acceptedPerS)} /s   latency p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted[sorted.length - 1]!.toFixed(2)} ms
delivered  ${o.messages} in ${deliverSeconds.toFixed(2)} s from the first send   ${round(deliveredPerS)} /s   (smtp-sink counted ${threadlineSunk})
signed     ${signed} of them DKIM-signed with the sender domain's key   ${round(signedPerS)} signed /s delivered
peers      smtp-source and nodemailer, ${BODY_BYTES} B, ${o.concurrency} sessions, reused: ${o.messages} each (smtp-sink counted ${peerSunk} of ${2 * o.messages})
threadline ${cpuMsPerMessage.toFixed(2)} ms of CPU per message, accepted and delivered${coldMsPerMessage === null ? '' : ` (the first ${o.warmup}, from a fresh process: ${coldMsPerMessage.toFixed(2)} ms)`} (${((100 * (delivered.cpuSeconds - cpuBefore)) / deliverSeconds).toFixed(0)}% of one core${o.instances > 1 ? `, ${o.instances} instances together` : ''}); this load generator ${clientMsPerRequest.toFixed(2)} ms per request
database   ${database}${o.instances > 1 ? `, ${o.instances} instances` : ''} (the parts and the bare route: SQLite)
`);
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
      cold_cpu_ms_per_message: coldMsPerMessage === null ? null : round(coldMsPerMessage, 3),
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

await runBench({ name: 'send', usage: `options: --messages N --concurrency C --warmup N --profile DIR\n${DATABASE_USAGE}`, limitMs: RUN_LIMIT_MS, readOptions, main });
