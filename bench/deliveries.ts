import { textOfSize } from './lib.js';
import { runLoad } from './load.js';
import { agentlessSendBody, counts, SEND_PATH, waitForDeliveries as waitForMore } from './sends.js';
import type { ThreadlineUnderTest } from './threadline.js';

// What bench:send and bench:webhooks both watch, from the start of a fresh threadline: its
// deliveries and CPU (sends.ts counts them from /metrics, for any phase).

export const BODY_BYTES = 2048;
const FROM_START = { sent: 0, signed: 0, cpuSeconds: 0 };

/** CPU seconds summed over every instance. */
export const cpuSeconds = async (tls: ThreadlineUnderTest[]) => (await counts(tls)).cpuSeconds;

/** Polls /metrics until `target` deliveries are counted as sent since start, summed over every instance. */
export const waitForDeliveries = (tls: ThreadlineUnderTest[], target: number, aborted: () => boolean) => waitForMore(tls, FROM_START, target, aborted);

/** bench:send's load: `messages` agentless sends of a BODY_BYTES text, `concurrency` at a time, spread over the instances. */
export function sendLoad(tls: ThreadlineUnderTest[], o: { messages: number; concurrency: number }) {
  const tl = tls[0]!;
  let failed = false;
  const load = runLoad({
    url: tls.map((t) => t.url),
    path: SEND_PATH,
    headers: { authorization: `Bearer ${tl.token}`, 'content-type': 'application/json' },
    body: agentlessSendBody(tl, textOfSize(BODY_BYTES)),
    requests: o.messages,
    concurrency: o.concurrency,
    expectStatus: 202,
  }).catch((err: unknown) => {
    failed = true;
    throw err;
  });
  return { load, failed: () => failed };
}
