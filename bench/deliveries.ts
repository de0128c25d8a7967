import { counterValue, textOfSize } from './lib.js';
import { runLoad } from './load.js';
import type { ThreadlineUnderTest } from './threadline.js';

// What bench:send and bench:webhooks both watch: threadline's deliveries and CPU, from /metrics.

const SEND_PATH = '/api/v2/conversations/emails/agentless';
export const BODY_BYTES = 2048;
const STALL_MS = 60_000;
const POLL_MS = 100;

export const CPU_METRIC = 'threadline_process_cpu_seconds_total';
const scrape = async (tl: ThreadlineUnderTest) => (await fetch(`${tl.url}/metrics`)).text();

/** CPU seconds summed over every instance. */
export const cpuSeconds = async (tls: ThreadlineUnderTest[]) => (await Promise.all(tls.map(scrape))).reduce((sum, text) => sum + counterValue(text, CPU_METRIC), 0);

/**
 * Polls /metrics until `target` deliveries are counted as sent, summed over every instance.
 * Returns when the last one was seen and the servers' CPU seconds then: CPU per message holds
 * steady on a busy machine, where rates do not.
 */
export async function waitForDeliveries(tls: ThreadlineUnderTest[], target: number, aborted: () => boolean): Promise<{ at: number; cpuSeconds: number; signed: number }> {
  let sent = 0;
  let progressAt = performance.now();
  for (;;) {
    const texts = await Promise.all(tls.map(scrape));
    const now = performance.now();
    const sum = (f: (text: string) => number) => texts.reduce((total, text) => total + f(text), 0);
    const count = sum((text) => counterValue(text, 'threadline_deliveries_total', { outcome: 'sent' }));
    const other = sum((text) => counterValue(text, 'threadline_deliveries_total')) - count;
    if (other > 0)
      throw new Error(`${other} deliveries were deferred or failed; smtp-sink should take every message (threadline output:\n${tls.map((tl) => tl.child.output().slice(-3000)).join('\n')})`);
    if (count >= target) return { at: now, cpuSeconds: sum((text) => counterValue(text, CPU_METRIC)), signed: sum((text) => counterValue(text, 'threadline_deliveries_dkim_signed_total')) };
    if (count > sent) {
      sent = count;
      progressAt = now;
    } else if (now - progressAt > STALL_MS) {
      throw new Error(`deliveries stalled: ${sent} of ${target} sent, none in the last ${STALL_MS / 1000} s`);
    }
    if (aborted()) throw new Error('the sends failed');
    for (const tl of tls) {
      if (tl.child.proc.exitCode !== null) throw new Error(`threadline exited during the run:\n${tl.child.output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** bench:send's load: `messages` agentless sends of a BODY_BYTES text, `concurrency` at a time, spread over the instances. */
export function sendLoad(tls: ThreadlineUnderTest[], o: { messages: number; concurrency: number }) {
  const tl = tls[0]!;
  const body = Buffer.from(
    JSON.stringify({
      senderType: 'Outbound',
      fromAddress: { email: `bench@${tl.senderDomain}` },
      toAddresses: [{ email: 'customer@example.com' }],
      subject: 'Benchmark',
      textBody: textOfSize(BODY_BYTES),
    }),
  );
  let failed = false;
  const load = runLoad({
    url: tls.map((t) => t.url),
    path: SEND_PATH,
    headers: { authorization: `Bearer ${tl.token}`, 'content-type': 'application/json' },
    body,
    requests: o.messages,
    concurrency: o.concurrency,
    expectStatus: 202,
  }).catch((err: unknown) => {
    failed = true;
    throw err;
  });
  return { load, failed: () => failed };
}
