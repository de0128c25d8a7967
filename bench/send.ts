import { findProgram, spawnChild, startSink, stopChild } from './children.js';
import { benchDatabaseUrl, checkDatabaseOptions, DATABASE_USAGE, databaseKind } from './database.js';
import { jsonLine, parseOptions, positiveInt, round, textOfSize } from './lib.js';
import { runBench } from './run.js';
import { measureSends, rates } from './sends.js';
import { startThreadlines } from './threadline.js';

// npm run bench:send [-- --messages N] [--concurrency C] [--database-url URL | --postgres] [--instances N] [--profile DIR]
//   (--database-url, --postgres, --instances: see DATABASE_USAGE in bench/database.ts)
//   --profile DIR   runs threadline under `node --cpu-prof`, writing its profile into DIR
//
// Agentless sends over HTTP into threadline, delivered by threadline over SMTP into Postfix's
// smtp-sink; then, as the yardstick, Postfix's smtp-source straight into the same sink with the
// same message size, concurrency and connection reuse.

const BODY_BYTES = 2048;
const RUN_LIMIT_MS = 5 * 60_000;

interface Options {
  messages: number;
  concurrency: number;
  databaseUrl?: string;
  postgres: boolean;
  instances: number;
  profileDir?: string;
}

function readOptions(argv: string[]): Options {
  // --postgres is the one flag without a value.
  const postgres = argv.includes('--postgres');
  const o = parseOptions(
    argv.filter((a) => a !== '--postgres'),
    ['messages', 'concurrency', 'database-url', 'instances', 'profile'],
  );
  return {
    messages: positiveInt('messages', o.messages, 20_000),
    concurrency: positiveInt('concurrency', o.concurrency, 20),
    ...checkDatabaseOptions({ databaseUrl: o['database-url'], postgres, instances: positiveInt('instances', o.instances, 1) }),
    profileDir: o.profile,
  };
}

async function runPeer(sinkPort: number, o: Options): Promise<number> {
  const args = ['-l', String(BODY_BYTES), '-s', String(o.concurrency), '-d', '-m', String(o.messages), `127.0.0.1:${sinkPort}`];
  const t0 = performance.now();
  const child = spawnChild(findProgram('smtp-source'), args);
  const code = await child.exited;
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`smtp-source exited with ${code}: ${child.output().slice(-2000)}`);
  return seconds;
}

async function main(o: Options): Promise<void> {
  const databaseUrl = await benchDatabaseUrl(o, 'bench_send');
  await run({ ...o, databaseUrl });
}

async function run(o: Options): Promise<void> {
  const sink = await startSink();
  const tls = await startThreadlines({ outboundUrl: `smtp://127.0.0.1:${sink.port}`, databaseUrl: o.databaseUrl, profileDir: o.profileDir }, o.instances);
  console.log(`threadline ${tls.map((t) => t.url).join(', ')}, smtp-sink 127.0.0.1:${sink.port}; sending ${o.messages} messages, ${o.concurrency} at a time`);
  const phase = await measureSends(tls, { messages: o.messages, concurrency: o.concurrency, text: textOfSize(BODY_BYTES) });
  const threadlineSunk = sink.count();
  // Stopped before the peer runs, so the peer has the machine to itself as threadline had.
  await Promise.all(tls.map((t) => stopChild(t.child)));

  const before = sink.count();
  const peerSeconds = await runPeer(sink.port, o);
  await new Promise((r) => setTimeout(r, 100)); // smtp-sink's counter line trails the last QUIT
  const peerSunk = sink.count() - before;

  const r = rates(phase);
  const peerPerS = o.messages / peerSeconds;
  const database = databaseKind(o.databaseUrl);

  console.log(`
accepted   ${o.messages} × 202 in ${phase.acceptSeconds.toFixed(2)} s   ${round(r.acceptedPerS)} /s   latency p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms
delivered  ${o.messages} in ${phase.deliverSeconds.toFixed(2)} s from the first send   ${round(r.deliveredPerS)} /s   (smtp-sink counted ${threadlineSunk})
signed     ${phase.signed} of them DKIM-signed with the sender domain's key   ${round(r.signedPerS)} signed /s delivered
peer       smtp-source → smtp-sink, ${BODY_BYTES} B, ${o.concurrency} sessions, reused: ${o.messages} in ${peerSeconds.toFixed(2)} s   ${round(peerPerS)} /s   (smtp-sink counted ${peerSunk})
threadline ${r.cpuMsPerMessage.toFixed(2)} ms of CPU per message, accepted and delivered (${r.cpuPercent.toFixed(0)}% of one core${o.instances > 1 ? `, ${o.instances} instances together` : ''}); this load generator ${phase.clientMsPerRequest.toFixed(2)} ms per request
ratio      delivered / peer = ${(r.deliveredPerS / peerPerS).toFixed(3)}   database ${database}${o.instances > 1 ? `, ${o.instances} instances` : ''}
goals      accepted ≥ 2,000/s: ${r.acceptedPerS >= 2000 ? 'met' : 'not met'}; delivered ≥ 1,000/s: ${r.deliveredPerS >= 1000 ? 'met' : 'not met'}; signed delivered ≥ 1,000/s: ${r.signedPerS >= 1000 ? 'met' : 'not met'}
`);
  console.log(
    jsonLine({
      bench: 'send',
      messages: o.messages,
      concurrency: o.concurrency,
      database,
      instances: o.instances,
      accepted_per_s: round(r.acceptedPerS),
      delivered_per_s: round(r.deliveredPerS),
      signed_delivered_per_s: round(r.signedPerS),
      accept_p50_ms: round(r.p50, 2),
      accept_p99_ms: round(r.p99, 2),
      peer: 'smtp-source→smtp-sink',
      peer_per_s: round(peerPerS),
      ratio: round(r.deliveredPerS / peerPerS, 3),
    }),
  );
}

await runBench({ name: 'send', usage: `options: --messages N --concurrency C --profile DIR\n${DATABASE_USAGE}`, limitMs: RUN_LIMIT_MS, readOptions, main });
