import { fileURLToPath } from 'node:url';
import type { Lookup } from '../dns/resolver.js';
import { builtModule, threadPool } from '../threads/pool.js';
import { authenticateMessage, type AuthResult } from './authenticate.js';
import { settleAuthor } from './author.js';
import { prepare, type Prepared } from './prepare.js';

// The CPU-heavy half of receiving a message (MIME parse, classification, reply text, SPF, DKIM,
// DMARC, ARC): about three quarters of the main thread's work per reply when it ran there. In
// inbound threads it uses the other cores, while the main thread keeps SMTP and the database.

/** A message as the SMTP session delivered it. */
export interface Arrival {
  raw: Uint8Array;
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
  close(): Promise<void>;
}

/** Parses and authenticates one message; `mta` is our host name, the authserv-id. */
export async function examine(a: Arrival, mta: string, lookup: Lookup): Promise<Examined> {
  const raw = Buffer.isBuffer(a.raw) ? a.raw : Buffer.from(a.raw.buffer, a.raw.byteOffset, a.raw.byteLength);
  const [p, auth] = await Promise.all([
    prepare(raw, a.envelopeFrom),
    authenticateMessage(raw, { remoteAddress: a.remoteAddress, helo: a.helo, envelopeFrom: a.envelopeFrom, mta }, lookup),
  ]);
  return { p: { ...p, author: settleAuthor(p.author, auth.summary.dmarcFrom) }, auth };
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

/**
 * `threads` inbound threads. Only the compiled build has the thread's file; from TypeScript
 * sources (tests) this returns null and the caller examines in-line. `file`: another thread
 * module (tests).
 */
export function threadPreparer(data: PrepareThreadData, threads: number, module = fileURLToPath(new URL('./prepare-thread.js', import.meta.url))): Preparer | null {
  const file = builtModule(module);
  if (!file) return null;
  const pool = threadPool<Arrival, Examined>(file, threads, data);
  return {
    examine(a) {
      // A copy of exactly its bytes, moved rather than copied again: the caller keeps `raw` to
      // store it, and a small Buffer is a slice of a shared 8 KB pool that posting would copy whole.
      const raw = new Uint8Array(a.raw);
      return pool.run({ ...a, raw }, [raw.buffer]);
    },
    close: () => pool.close(),
  };
}
