import { counterValue, percentile } from './lib.js';
import { type LoadOptions, runLoad } from './load.js';
import type { ThreadlineUnderTest } from './threadline.js';

// One measured phase of the outbound benchmarks: requests from the closed-loop load generator
// while threadline delivers what they queued into smtp-sink, both at once; accepted when the
// last request was answered, delivered when the last message was counted as sent.

const STALL_MS = 60_000;
const POLL_MS = 100;
const CPU_METRIC = 'threadline_process_cpu_seconds_total';
const DELIVERIES = 'threadline_deliveries_total';
const SIGNED = 'threadline_deliveries_dkim_signed_total';

const scrape = async (tl: ThreadlineUnderTest) => (await fetch(`${tl.url}/metrics`)).text();

export interface Counts {
  sent: number;
  signed: number;
  cpuSeconds: number;
}

/** Deliveries sent and signed, and CPU seconds, summed over every instance. */
export async function counts(tls: ThreadlineUnderTest[]): Promise<Counts & { other: number }> {
  const texts = await Promise.all(tls.map(scrape));
  const sum = (f: (text: string) => number) => texts.reduce((total, text) => total + f(text), 0);
  const sent = sum((text) => counterValue(text, DELIVERIES, { outcome: 'sent' }));
  return { sent, other: sum((text) => counterValue(text, DELIVERIES)) - sent, signed: sum((text) => counterValue(text, SIGNED)), cpuSeconds: sum((text) => counterValue(text, CPU_METRIC)) };
}

/**
 * Polls /metrics until `target` more deliveries than `base` are counted as sent (or `deadline`).
 * Returns when the last one was seen and the counters then: CPU per message holds steady on a busy machine,
 * where rates do not.
 */
export async function waitForDeliveries(
  tls: ThreadlineUnderTest[],
  base: Counts,
  target: number,
  aborted: () => boolean,
  /** performance.now() past which the counts so far are returned, short of the target. */
  deadline = Number.POSITIVE_INFINITY,
): Promise<Counts & { at: number }> {
  let sent = 0;
  let progressAt = performance.now();
  for (;;) {
    const c = await counts(tls);
    const now = performance.now();
    if (c.other > 0)
      throw new Error(
        `${c.other} deliveries were deferred or failed; smtp-sink should take every message (threadline output:\n${tls.map((tl) => tl.child.output().slice(-3000)).join('\n')})`,
      );
    if (c.sent - base.sent >= target || now > deadline) return { ...c, at: now };
    if (c.sent > sent) {
      sent = c.sent;
      progressAt = now;
    } else if (now - progressAt > STALL_MS) {
      throw new Error(`deliveries stalled: ${sent - base.sent} of ${target} sent, none in the last ${STALL_MS / 1000} s`);
    }
    if (aborted()) throw new Error('the requests failed');
    for (const tl of tls) {
      if (tl.child.proc.exitCode !== null) throw new Error(`threadline exited during the run:\n${tl.child.output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export interface Phase {
  /** Messages the phase queued and threadline delivered. */
  messages: number;
  requests: number;
  acceptSeconds: number;
  /** From the first request to the last delivery. */
  deliverSeconds: number;
  /** Milliseconds per request, sorted. */
  latencies: number[];
  signed: number;
  /** threadline's CPU seconds over the phase, every instance. */
  cpuSeconds: number;
  /** This process's CPU milliseconds per request (the load generator's cost). */
  clientMsPerRequest: number;
}

/** Runs `load` against every instance in turn and waits until `messages` deliveries more are sent. */
export async function loadAndDeliver(tls: ThreadlineUnderTest[], load: Omit<LoadOptions, 'url'>, messages: number): Promise<Phase> {
  const base = await counts(tls);
  const clientCpuBefore = process.cpuUsage();
  let loadFailed = false;
  const loading = runLoad({ ...load, url: tls.map((t) => t.url) }).catch((err: unknown) => {
    loadFailed = true;
    throw err;
  });
  const [accepted, delivered] = await Promise.all([loading, waitForDeliveries(tls, base, messages, () => loadFailed)]);
  const clientCpu = process.cpuUsage(clientCpuBefore);
  return {
    messages,
    requests: load.requests,
    acceptSeconds: (accepted.finishedAt - accepted.startedAt) / 1000,
    deliverSeconds: (delivered.at - accepted.startedAt) / 1000,
    latencies: Array.from(accepted.latencies).sort((a, b) => a - b),
    signed: delivered.signed - base.signed,
    cpuSeconds: delivered.cpuSeconds - base.cpuSeconds,
    clientMsPerRequest: (clientCpu.user + clientCpu.system) / 1000 / load.requests,
  };
}

/** A phase's rates per message (a contact is a message), and its request latencies. */
export function rates(p: Phase) {
  return {
    acceptedPerS: p.messages / p.acceptSeconds,
    deliveredPerS: p.messages / p.deliverSeconds,
    signedPerS: p.signed / p.deliverSeconds,
    p50: percentile(p.latencies, 50),
    p99: percentile(p.latencies, 99),
    max: p.latencies[p.latencies.length - 1]!,
    cpuMsPerMessage: (p.cpuSeconds * 1000) / p.messages,
    /** Of one core, every instance together. */
    cpuPercent: (100 * p.cpuSeconds) / p.deliverSeconds,
  };
}

/** The JSON body of an agentless send of `bytes` of text from the sender domain, as bench:send posts it. */
export function agentlessSendBody(tl: ThreadlineUnderTest, text: string): Buffer {
  return Buffer.from(
    JSON.stringify({ senderType: 'Outbound', fromAddress: { email: `bench@${tl.senderDomain}` }, toAddresses: [{ email: 'customer@example.com' }], subject: 'Benchmark', textBody: text }),
  );
}

export const SEND_PATH = '/api/v2/conversations/emails/agentless';

/** bench:send's phase: `messages` agentless sends, `concurrency` at a time. */
export async function measureSends(tls: ThreadlineUnderTest[], o: { messages: number; concurrency: number; text: string }): Promise<Phase> {
  const tl = tls[0]!;
  return loadAndDeliver(
    tls,
    {
      path: SEND_PATH,
      headers: { authorization: `Bearer ${tl.token}`, 'content-type': 'application/json' },
      body: agentlessSendBody(tl, o.text),
      requests: o.messages,
      concurrency: o.concurrency,
      expectStatus: 202,
    },
    o.messages,
  );
}
