import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSink, stopChild } from './children.js';
import { cpuSeconds, sendLoad, waitForDeliveries } from './deliveries.js';
import { jsonLine, parseOptions, percentile, positiveInt, round } from './lib.js';
import { runBench } from './run.js';
import { startThreadline, type ThreadlineUnderTest } from './threadline.js';

// npm run bench:webhooks [-- --messages N] [--concurrency C] [--profile DIR]
//   --profile DIR   runs threadline under `node --cpu-prof`, writing its profiles into DIR/without and DIR/with
//
// bench:send's load twice, each on a fresh threadline (SQLite) delivering into smtp-sink: once
// without a webhook, then with one subscription to a receiver in this process (node:http,
// answering 204). Every message makes two events, message.queued and message.sent. Measured:
// events delivered per second, the delay from an event's timestamp to its arrival at the
// receiver, and what the webhook costs the send path: delivered messages per second and the
// server's CPU per message, both ways, from the same run.

const EVENTS_PER_MESSAGE = 2;
const RUN_LIMIT_MS = 5 * 60_000;
const STALL_MS = 60_000;

interface Options {
  messages: number;
  concurrency: number;
  profileDir?: string;
}

function readOptions(argv: string[]): Options {
  const o = parseOptions(argv, ['messages', 'concurrency', 'profile']);
  return { messages: positiveInt('messages', o.messages, 5_000), concurrency: positiveInt('concurrency', o.concurrency, 20), profileDir: o.profile };
}

/** A receiver as a customer would run one: reads the event, answers 204; notes when each came. */
async function startReceiver() {
  const delays: number[] = [];
  let last = 0;
  let onEvent = () => {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string };
      delays.push(at - Date.parse(event.timestamp));
      last = performance.now();
      res.writeHead(204).end();
      onEvent();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    delays,
    lastAt: () => last,
    /** Resolves once `count` events came; fails when none came for STALL_MS. */
    until: (count: number) =>
      new Promise<void>((resolve, reject) => {
        let stall = setTimeout(() => reject(new Error(`webhooks stalled: ${delays.length} of ${count} events`)), STALL_MS);
        onEvent = () => {
          clearTimeout(stall);
          if (delays.length >= count) resolve();
          else stall = setTimeout(() => reject(new Error(`webhooks stalled: ${delays.length} of ${count} events`)), STALL_MS);
        };
        onEvent();
      }),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

interface RunResult {
  deliveredPerS: number;
  cpuMsPerMessage: number;
  webhook?: { eventsPerS: number; delays: number[]; lagS: number };
}

/** One run on a fresh threadline; with `rx`, a webhook to it, and the run lasts until every event arrived. */
async function runOnce(o: Options, rx: Receiver | null): Promise<RunResult> {
  const sink = await startSink();
  const tl: ThreadlineUnderTest = await startThreadline({
    outboundUrl: `smtp://127.0.0.1:${sink.port}`,
    profileDir: o.profileDir ? `${o.profileDir}/${rx ? 'with' : 'without'}` : undefined,
  });
  try {
    if (rx) {
      const res = await fetch(`${tl.url}/api/v2/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tl.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: rx.url, eventTypes: ['message.queued', 'message.sent'] }),
      });
      if (res.status !== 201) throw new Error(`POST /api/v2/webhooks answered ${res.status}: ${await res.text()}`);
    }
    const cpuBefore = await cpuSeconds([tl]);
    const { load, failed } = sendLoad([tl], o);
    const [accepted, delivered] = await Promise.all([load, waitForDeliveries([tl], o.messages, failed), rx?.until(o.messages * EVENTS_PER_MESSAGE)]);
    const deliveredPerS = o.messages / ((delivered.at - accepted.startedAt) / 1000);
    if (!rx) return { deliveredPerS, cpuMsPerMessage: ((delivered.cpuSeconds - cpuBefore) * 1000) / o.messages };
    // With the webhook, the server's work for a message ends when its last event was taken.
    const cpuAfter = await cpuSeconds([tl]);
    const events = o.messages * EVENTS_PER_MESSAGE;
    return {
      deliveredPerS,
      cpuMsPerMessage: ((cpuAfter - cpuBefore) * 1000) / o.messages,
      webhook: { eventsPerS: events / ((rx.lastAt() - accepted.startedAt) / 1000), delays: [...rx.delays].sort((a, b) => a - b), lagS: (rx.lastAt() - delivered.at) / 1000 },
    };
  } finally {
    await stopChild(tl.child);
    await stopChild(sink.child);
  }
}

async function main(o: Options): Promise<void> {
  // The receiver is on loopback: allowed by the operator's setting, as in the tests.
  process.env.THREADLINE_WEBHOOK_ALLOW_PRIVATE = 'true';
  console.log(`sending ${o.messages} messages, ${o.concurrency} at a time, twice: without a webhook, then with one (${EVENTS_PER_MESSAGE} events a message)`);
  const without = await runOnce(o, null);
  const rx = await startReceiver();
  const withHook = await runOnce(o, rx).finally(() => rx.close());
  const w = withHook.webhook!;
  const events = o.messages * EVENTS_PER_MESSAGE;
  const cpuAddedPct = (100 * (withHook.cpuMsPerMessage - without.cpuMsPerMessage)) / without.cpuMsPerMessage;
  // What bench:send's delivered rate needs from the webhook path.
  const neededPerS = without.deliveredPerS * EVENTS_PER_MESSAGE;
  const keepsUp = w.eventsPerS >= 0.95 * neededPerS;
  const p = (q: number) => percentile(w.delays, q);

  console.log(`
without webhook  delivered ${round(without.deliveredPerS)} messages/s   ${without.cpuMsPerMessage.toFixed(2)} ms of CPU per message
with webhook     delivered ${round(withHook.deliveredPerS)} messages/s   ${withHook.cpuMsPerMessage.toFixed(2)} ms of CPU per message (until its last event was delivered)
webhook          ${events} events in ${(events / w.eventsPerS).toFixed(2)} s from the first send   ${round(w.eventsPerS)} events/s (needed at the send path's rate: ${round(neededPerS)}/s)
delay            event timestamp → receiver: p50 ${p(50).toFixed(0)} ms, p99 ${p(99).toFixed(0)} ms, max ${w.delays.at(-1)!.toFixed(0)} ms; last event ${w.lagS.toFixed(2)} s after the last delivery
goals            webhooks add ${cpuAddedPct.toFixed(1)} % CPU per message (≤ 10 %: ${cpuAddedPct <= 10 ? 'met' : 'not met'}); keeps up with the delivered rate: ${keepsUp ? 'yes' : 'no'}
`);
  console.log(
    jsonLine({
      bench: 'webhooks',
      messages: o.messages,
      concurrency: o.concurrency,
      events,
      events_per_s: round(w.eventsPerS),
      needed_events_per_s: round(neededPerS),
      keeps_up: keepsUp,
      delay_p50_ms: round(p(50)),
      delay_p99_ms: round(p(99)),
      delivered_per_s_without: round(without.deliveredPerS),
      delivered_per_s_with: round(withHook.deliveredPerS),
      cpu_ms_per_message_without: round(without.cpuMsPerMessage, 3),
      cpu_ms_per_message_with: round(withHook.cpuMsPerMessage, 3),
      cpu_added_pct: round(cpuAddedPct, 1),
    }),
  );
}

await runBench({ name: 'webhooks', usage: 'options: --messages N --concurrency C --profile DIR', limitMs: RUN_LIMIT_MS, readOptions, main });
