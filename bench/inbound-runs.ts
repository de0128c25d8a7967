import { stopChild } from './children.js';
import { databaseCpuSeconds } from './database.js';
import { HARAKA_VERSION, installHaraka, startHaraka } from './haraka.js';
import { api, createConversations, runSources, scrape, waitOutboxEmpty, watchdog, writeReplyFiles } from './inbound-lib.js';
import { counterValue } from './lib.js';
import { mainThreadCpuSeconds } from './proc.js';
import { startThreadlines, type ThreadlineOptions, type ThreadlineUnderTest } from './threadline.js';

// The runs bench:inbound makes: replies into threadline in one mode (one message per connection
// or connections reused), the same once more into a threadline that greets at once, and the same
// files into Haraka, the peer.

const CPU = 'threadline_process_cpu_seconds_total';
const STORED = 'threadline_inbound_messages_total';

export interface ModeResult {
  seconds: number;
  stored: number;
  threaded: number;
  duplicates: number;
  waitingAdded: number;
  cpuMsPerMessage: number;
  /** Of cpuMsPerMessage, what the main threads took (SMTP, the database); the rest ran in other threads. */
  mainThreadCpuMsPerMessage: number;
  /** The --postgres server's own CPU per message; null on SQLite (inside threadline) or --database-url. */
  databaseCpuMsPerMessage: number | null;
}

export interface RunShape {
  messages: number;
  sessions: number;
  stallMs: number;
}

export async function runMode(tls: ThreadlineUnderTest[], files: Array<{ file: string; count: number }>, o: RunShape, reuse: boolean, rcpt: string, queueId: string): Promise<ModeResult> {
  const tl = tls[0]!;
  const mainCpu = () => tls.reduce((sum, t) => sum + mainThreadCpuSeconds(t.child.proc.pid!), 0);
  const mainBefore = mainCpu();
  const before = await scrape(tls);
  const waitingBefore = (await api<{ waiting: number }>(tl, 'GET', `/api/v2/routing/queues/${queueId}/stats`)).waiting;
  const stored = async () => counterValue(await scrape(tls), STORED);
  const dbBefore = databaseCpuSeconds();
  const work = runSources({ ports: tls.map((t) => t.smtpPort), files, sessions: o.sessions, reuse, from: 'customer@example.com', rcpt });
  const seconds = await watchdog(work, stored, o.stallMs, `threadline (${reuse ? 'reused' : 'per-connection'})`);
  const dbAfter = databaseCpuSeconds();
  const after = await scrape(tls);
  const mainAfter = mainCpu();
  const waitingAfter = (await api<{ waiting: number }>(tl, 'GET', `/api/v2/routing/queues/${queueId}/stats`)).waiting;
  const delta = (name: string, labels: Record<string, string> = {}) => counterValue(after, name, labels) - counterValue(before, name, labels);
  const r = {
    seconds,
    stored: delta(STORED),
    threaded: delta(STORED, { outcome: 'threaded' }),
    duplicates: delta('threadline_inbound_duplicates_total'),
    waitingAdded: waitingAfter - waitingBefore,
    cpuMsPerMessage: (delta(CPU) * 1000) / o.messages,
    mainThreadCpuMsPerMessage: ((mainAfter - mainBefore) * 1000) / o.messages,
    databaseCpuMsPerMessage: dbBefore === null || dbAfter === null ? null : ((dbAfter - dbBefore) * 1000) / o.messages,
  };
  if (r.stored !== o.messages || r.duplicates !== 0)
    throw new Error(`${reuse ? 'reused' : 'per-connection'}: smtp-source had ${o.messages} answered 250, threadline counted ${r.stored} stored and ${r.duplicates} duplicates`);
  return r;
}

/**
 * One message per connection into a threadline of its own (its own empty database) that greets
 * at once (THREADLINE_SMTP_GREETING_DELAY_MS=0): what smtp-server's early-talker pause costs.
 */
export async function runWithoutGreetingDelay(o: RunShape & { dir: string; bytes: number; perConversation: number; threadline: ThreadlineOptions; instances: number }): Promise<ModeResult> {
  const tls = await startThreadlines({ ...o.threadline, env: { ...o.threadline.env, THREADLINE_SMTP_GREETING_DELAY_MS: '0' } }, o.instances);
  try {
    const queueId = (await api<{ entities: Array<{ id: string }> }>(tls[0]!, 'GET', '/api/v2/routing/queues')).entities[0]!.id;
    const conversations = await createConversations(tls[0]!, 'c', Math.ceil(o.messages / o.perConversation));
    await waitOutboxEmpty(tls);
    const files = writeReplyFiles(o.dir, 'c', conversations, o.messages, o.bytes);
    return await runMode(tls, files, o, false, `support@${conversations[0]!.replyTo.split('@')[1]!}`, queueId);
  } finally {
    await Promise.all(tls.map((t) => stopChild(t.child)));
  }
}

export interface HarakaRuns {
  version: string;
  /** Seconds of each run, in order. */
  perConnection: number[];
  reused: number[];
}

/** The same reply files into Haraka (installed on first use), each mode `runs` times: peers vary from run to run. */
export async function runHaraka(
  o: RunShape & { dir: string; domain: string; rcpt: string; runs: number; filesA: Array<{ file: string; count: number }>; filesB: Array<{ file: string; count: number }> },
): Promise<HarakaRuns> {
  const bin = await installHaraka((line) => console.log(line));
  const haraka = await startHaraka({ bin, dir: o.dir, domain: o.domain });
  const out: HarakaRuns = { version: HARAKA_VERSION, perConnection: [], reused: [] };
  try {
    for (let i = 0; i < o.runs; i++) {
      for (const reuse of [false, true]) {
        let done = 0;
        const work = runSources({
          ports: [haraka.port],
          files: reuse ? o.filesB : o.filesA,
          sessions: o.sessions,
          reuse,
          from: 'customer@example.com',
          rcpt: o.rcpt,
          onFileDone: () => done++,
        });
        // Haraka counts nothing we can read: the smtp-source processes that finished are the progress.
        const seconds = await watchdog(work, async () => done, o.stallMs, `Haraka (${reuse ? 'reused' : 'per-connection'})`);
        (reuse ? out.reused : out.perConnection).push(seconds);
      }
    }
  } finally {
    await stopChild(haraka.child);
  }
  return out;
}
