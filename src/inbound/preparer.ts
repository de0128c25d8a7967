import { fileURLToPath } from 'node:url';
import type { Lookup } from '../dns/resolver.js';
import { byteBudget } from '../threads/byte-budget.js';
import { leftGarbage } from '../threads/large-garbage.js';
import { builtModule, threadPool } from '../threads/pool.js';
import { type AuthResult, authenticateMessage, skippedAuth } from './authenticate.js';
import { settleAuthor } from './author.js';
import { INBOUND_LIMITS } from './limits.js';
import { type Prepared, prepare, prepareHeaders, type Stage } from './prepare.js';
import { bufferSource, fileSource, type RawSource, type Spooled } from './spool.js';

// The CPU-heavy half of receiving a message (MIME parse, classification, reply text, SPF, DKIM,
// DMARC, ARC): about three quarters of the main thread's work per reply when it ran there. In
// inbound threads it uses the other cores, while the main thread keeps SMTP and the database.

/** A message as the SMTP session delivered it: its bytes, or the spool file holding them. */
export interface Arrival {
  raw?: Uint8Array;
  spool?: Spooled;
  envelopeFrom: string;
  remoteAddress: string;
  helo: string | null;
}

export interface Examined {
  p: Prepared;
  auth: AuthResult;
}

export interface Preparer {
  examine(a: Arrival): Promise<Examined>;
  /** Resolves once the preparer can examine at full speed (threads started and warmed up). */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

/** Where an arrival's bytes are read from. */
export const sourceOf = (a: Pick<Arrival, 'raw' | 'spool'>): RawSource => (a.spool ? fileSource(a.spool.file, a.spool.size) : bufferSource(a.raw ?? new Uint8Array()));

/**
 * Parses and authenticates one message; `mta` is our host name, the authserv-id. One stage after
 * the other, each announced to `stage` first, so a thread stopped for its time limit knows which
 * stage held it up. A stage that fails is recorded as skipped; the message is still kept.
 */
export async function examine(a: Arrival, mta: string, lookup: Lookup, stage: (s: Stage) => void = () => {}): Promise<Examined> {
  try {
    return await examineSource(a, mta, lookup, stage);
  } finally {
    // Whatever its outcome, the copies this thread made of a large message are now garbage.
    leftGarbage(a.spool?.size ?? a.raw?.byteLength ?? 0);
  }
}

async function examineSource(a: Arrival, mta: string, lookup: Lookup, stage: (s: Stage) => void): Promise<Examined> {
  const raw = sourceOf(a);
  const p = await prepare(raw, a.envelopeFrom, stage);
  stage('authentication');
  let auth: AuthResult;
  try {
    // The whole message is read for the DKIM body hashes, a piece at a time.
    auth = await authenticateMessage(raw.stream(), { remoteAddress: a.remoteAddress, helo: a.helo, envelopeFrom: a.envelopeFrom, mta }, lookup);
  } catch (err) {
    const reason = (err as Error).message;
    p.skipped.push({ stage: 'authentication', reason });
    auth = skippedAuth(mta, reason);
  }
  // The author as DMARC read it too (as read, when authentication was skipped: see dmarcFrom).
  return { p: { ...p, author: settleAuthor(p.author, auth.summary.dmarcFrom) }, auth };
}

/**
 * A message whose examination ran past its time limit, kept as it is: its header block read
 * in-line (bounded), the body unread, the stage that held it up and authentication skipped.
 */
export async function examineTimedOut(a: Arrival, mta: string, err: { message: string; stage?: string }): Promise<Examined> {
  const why = `stopped: ${err.message}`;
  const skipped = [{ stage: err.stage ?? 'parse', reason: why }];
  if (err.stage !== 'authentication') skipped.push({ stage: 'authentication', reason: `not run: ${err.stage ?? 'parse'} went past the time limit` });
  const head = await sourceOf(a).head(INBOUND_LIMITS.headBytes);
  return { p: await prepareHeaders(head, a.envelopeFrom, skipped, null), auth: skippedAuth(mta, why) };
}

export function inlinePreparer(mta: string, lookup: Lookup): Preparer {
  return { examine: (a) => examine(a, mta, lookup), close: async () => {} };
}

/** What an inbound thread is started with. */
export interface PrepareThreadData {
  mta: string;
  /** THREADLINE_DNS_SERVERS: each thread keeps its own DNS cache. */
  dnsServers: string[];
}

export interface ThreadOptions {
  threads: number;
  /** How long one message may keep its thread busy without a pause (DNS waits are pauses). */
  timeLimitMs: number;
}

/** How often a message is sent again after its thread was stopped for another's time limit. */
const ABORTED_RETRIES = 2;
/**
 * Message bytes parsed at once. Parsing holds several copies of what it reads (the bytes, the
 * decoded text and HTML, the copy posted back), so fifty large messages arriving together would
 * hold fifty times that; past the budget they wait their turn, holding nothing (their bytes are
 * in the spool). Only the start of a message is parsed (prepare.ts), so that is what counts.
 */
const EXAMINE_BUDGET_BYTES = 4 * INBOUND_LIMITS.parseBytes;
const UNBUDGETED_BYTES = 256 * 1024;
/**
 * Parsing and authenticating one reply allocates several times its size in short-lived objects
 * (streams, header maps, decoded parts, regex matches). In the pool's default young generation
 * they outlived a collection every few replies, and collecting and promoting them cost a large
 * share of the thread's CPU; this size holds the garbage of dozens of replies.
 */
const INBOUND_YOUNG_GENERATION_MB = 16;
const parsedBytes = (a: Arrival) => Math.min(INBOUND_LIMITS.parseBytes, a.spool?.size ?? a.raw?.byteLength ?? 0);

/**
 * `threads` inbound threads, and one more: a message that holds its thread up must not hold up
 * the ordinary ones (the pool sends new work to the threads that are not stuck). Only the
 * compiled build has the thread's file; from TypeScript sources (tests) this returns null and
 * the caller examines in-line. `file`: another thread module (tests).
 */
export function threadPreparer(data: PrepareThreadData, opts: ThreadOptions, module = fileURLToPath(new URL('./prepare-thread.js', import.meta.url))): Preparer | null {
  const file = builtModule(module);
  if (!file) return null;
  const pool = threadPool<Arrival, Examined>(file, opts.threads + 1, data, {
    warm: true,
    stuckLimitMs: opts.timeLimitMs,
    youngGenerationMb: INBOUND_YOUNG_GENERATION_MB,
  });
  const budget = byteBudget(EXAMINE_BUDGET_BYTES);
  const examineOnce = async (a: Arrival): Promise<Examined> => {
    for (let attempt = 0; ; attempt++) {
      // A spooled message goes by its file's name. Bytes in memory (a test's) go as a copy of
      // exactly them, moved rather than copied again: the caller keeps `raw`, and a small Buffer
      // is a slice of a shared 8 KB pool that posting would copy whole.
      const raw = a.raw ? new Uint8Array(a.raw) : undefined;
      try {
        return await pool.run({ ...a, raw }, raw ? { transfer: [raw.buffer] } : {});
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ETIMEDOUT') return examineTimedOut(a, data.mta, err as Error);
        if (code !== 'EABORTED' || attempt >= ABORTED_RETRIES) throw err;
      }
    }
  };
  return {
    // An ordinary reply never waits for the budget: its copies are small.
    examine: (a) => (parsedBytes(a) <= UNBUDGETED_BYTES ? examineOnce(a) : budget.run(parsedBytes(a), () => examineOnce(a))),
    ready: () => pool.ready(),
    close: () => pool.close(),
  };
}
