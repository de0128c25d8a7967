import nodemailer from 'nodemailer';
import { createConversations, replyEml, type SentConversation } from './inbound-lib.js';
import { counterValue, jsonLine, parseOptions, positiveInt, round, textOfSize } from './lib.js';
import { MB, procStatus } from './proc.js';
import { runBench } from './run.js';
import { startThreadline, type ThreadlineUnderTest } from './threadline.js';

// npm run bench:memory [-- --messages N] [--bytes B]
//
// Resident memory of the threadline process (its worker threads included) while it takes N
// large inbound replies over N SMTP connections at once, then while it accepts and delivers
// (capture mode) N large agentless sends made at once. The kernel's own peak (VmHWM) is read
// from /proc, so no spike between two samples is missed.

const RUN_LIMIT_MS = 5 * 60_000;
const GOAL_MB = 256;
const SAMPLE_MS = 20;
const STALL_MS = 60_000;
const SEND_PATH = '/api/v2/conversations/emails/agentless';
// The send API takes a body of at most 3 MB; the JSON around the text stays below it.
const MAX_TEXT_BYTES = 3_000_000 - 4096;

interface Options {
  messages: number;
  bytes: number;
}

function readOptions(argv: string[]): Options {
  const o = parseOptions(argv, ['messages', 'bytes']);
  return { messages: positiveInt('messages', o.messages, 50), bytes: positiveInt('bytes', o.bytes, MAX_TEXT_BYTES) };
}

/** Samples VmRSS while `work` runs: the highest seen, for one phase (VmHWM covers the whole run). */
async function peakDuring<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; peak: number; seconds: number }> {
  let peak = procStatus(pid, 'VmRSS');
  const timer = setInterval(() => (peak = Math.max(peak, procStatus(pid, 'VmRSS'))), SAMPLE_MS);
  const t0 = performance.now();
  try {
    const value = await work();
    return { value, peak: Math.max(peak, procStatus(pid, 'VmRSS')), seconds: (performance.now() - t0) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

async function sendReplies(tl: ThreadlineUnderTest, convs: SentConversation[], bytes: number): Promise<void> {
  const replies = convs.map((c, i) => ({ c, raw: replyEml(c, `bench-memory-${i}.${Date.now().toString(36)}@mail.example.net`, bytes).replace(/\n/g, '\r\n') }));
  await Promise.all(
    replies.map(async ({ c, raw }) => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: tl.smtpPort, secure: false, ignoreTLS: true, name: 'mx.example.net' });
      try {
        const info = await transport.sendMail({ envelope: { from: c.customer, to: [c.replyTo] }, raw });
        if (!/^250 /.test(info.response)) throw new Error(`the reply was answered ${info.response}`);
      } finally {
        transport.close();
      }
    }),
  );
}

async function sendLarge(tl: ThreadlineUnderTest, count: number, bytes: number): Promise<void> {
  const body = JSON.stringify({
    senderType: 'Outbound',
    fromAddress: { email: `bench@${tl.senderDomain}` },
    toAddresses: [{ email: 'customer@example.com' }],
    subject: 'Your invoice',
    textBody: textOfSize(bytes),
  });
  await Promise.all(
    Array.from({ length: count }, async () => {
      const res = await fetch(`${tl.url}${SEND_PATH}`, { method: 'POST', headers: { authorization: `Bearer ${tl.token}`, 'content-type': 'application/json' }, body });
      if (res.status !== 202) throw new Error(`POST ${SEND_PATH} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    }),
  );
}

/** Polls /metrics until `target` deliveries (captures) are counted; fails after a minute without one. */
async function waitForDeliveries(tl: ThreadlineUnderTest, target: number): Promise<void> {
  let seen = -1;
  let progressAt = Date.now();
  for (;;) {
    const count = counterValue(await (await fetch(`${tl.url}/metrics`)).text(), 'threadline_deliveries_total', { outcome: 'sent' });
    if (count >= target) return;
    if (count > seen) [seen, progressAt] = [count, Date.now()];
    else if (Date.now() - progressAt > STALL_MS) throw new Error(`deliveries stalled at ${count} of ${target}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(o: Options): Promise<void> {
  const tl = await startThreadline({ outboundUrl: 'capture' });
  const pid = tl.child.proc.pid!;
  const convs = await createConversations(tl, 'm', o.messages);
  await waitForDeliveries(tl, o.messages);
  const idle = procStatus(pid, 'VmRSS');
  console.log(`threadline ${tl.url} (pid ${pid}); ${o.messages} messages of ${round(o.bytes / MB, 1)} MB in, then out, each ${o.messages} at once`);

  const inbound = await peakDuring(pid, () => sendReplies(tl, convs, o.bytes));
  const accepted = await peakDuring(pid, () => sendLarge(tl, o.messages, o.bytes));
  const delivered = await peakDuring(pid, () => waitForDeliveries(tl, 2 * o.messages));
  const peak = procStatus(pid, 'VmHWM');
  const mb = (n: number) => round(n / MB, 1);

  console.log(`
idle       ${mb(idle)} MB resident after start and ${o.messages} small sends
inbound    ${o.messages} replies of ${mb(o.bytes)} MB over ${o.messages} SMTP connections at once, all 250 in ${inbound.seconds.toFixed(2)} s: peak ${mb(inbound.peak)} MB resident
accepted   ${o.messages} sends of ${mb(o.bytes)} MB at once, all 202 in ${accepted.seconds.toFixed(2)} s: peak ${mb(accepted.peak)} MB resident
delivered  the same, captured ${delivered.seconds.toFixed(2)} s later: peak ${mb(delivered.peak)} MB resident
peak       ${mb(peak)} MB (the kernel's high-water mark for the process, threads included)
goal       peak ≤ ${GOAL_MB} MB: ${peak <= GOAL_MB * MB ? 'met' : 'not met'}
`);
  console.log(
    jsonLine({
      bench: 'memory',
      messages: o.messages,
      message_bytes: o.bytes,
      idle_rss_mb: mb(idle),
      inbound_peak_rss_mb: mb(inbound.peak),
      accept_peak_rss_mb: mb(accepted.peak),
      deliver_peak_rss_mb: mb(delivered.peak),
      peak_rss_mb: mb(peak),
      goal_mb: GOAL_MB,
      met: peak <= GOAL_MB * MB,
    }),
  );
}

await runBench({ name: 'memory', usage: 'options: --messages N --bytes B', limitMs: RUN_LIMIT_MS, readOptions, main });
