import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { checkedAddresses, type Lookup, systemLookup, TargetRefused } from './address-guard.js';

/** What a receiver made of one try. */
export interface SendResult {
  /** The HTTP status, null when none came (refused target, connection error, timeout). */
  status: number | null;
  error: string | null;
  /** The first bytes of the answer's body (at most EXCERPT_BYTES), as text. */
  excerpt: string | null;
  /** Seconds a 429 or 503 asked to wait (Retry-After), else null. */
  retryAfterSeconds: number | null;
  durationMs: number;
}

export const EXCERPT_BYTES = 1024;

export interface SendOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  userAgent: string;
  lookup?: Lookup;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), null if absent or unreadable. */
export function retryAfterSeconds(value: string | undefined, nowMs: number): number | null {
  if (!value) return null;
  if (/^\d{1,10}$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

// Connections kept open between tries: a receiver taking a stream of events is not made to
// accept a new connection for each. A kept connection goes to an address that was checked when
// it was opened (the lookup below); a connection is reused only after an answer read to its end.
const httpAgent = new http.Agent({ keepAlive: true, maxFreeSockets: 64, timeout: 30_000 });
const httpsAgent = new https.Agent({ keepAlive: true, maxFreeSockets: 64, timeout: 30_000 });

/**
 * POSTs `body` to `url`, once, within `timeoutMs` all told; reads at most EXCERPT_BYTES of the
 * answer and drops the rest (a receiver answering 100 MB costs nothing). Redirects are not
 * followed. The connection goes to an address the SSRF rule was checked on (address-guard.ts).
 */
export function send(url: string, headers: Record<string, string>, body: string, o: SendOptions, nowMs: () => number): Promise<SendResult> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  const failed = (error: string): SendResult => ({ status: null, error, excerpt: null, retryAfterSeconds: null, durationMs: took() });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve(failed('not a URL'));
  }
  const lookup: LookupFunction = (host, opts, cb) => {
    checkedAddresses(host, o.allowPrivate, o.lookup ?? systemLookup).then(
      (all) => (opts.all ? (cb as (e: null, a: typeof all) => void)(null, all) : cb(null, all[0]!.address, all[0]!.family)),
      (err: Error) => cb(err as NodeJS.ErrnoException, '', 0),
    );
  };
  return new Promise((resolve) => {
    let settled = false;
    /** `reuse`: the answer was read to its end, so its connection may carry the next try. */
    const finish = (r: SendResult, reuse = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!reuse) req.destroy();
      resolve(r);
    };
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body).toString(), 'user-agent': o.userAgent },
      lookup,
      agent: target.protocol === 'https:' ? httpsAgent : httpAgent,
    });
    const timer = setTimeout(() => finish(failed(`no answer within ${Math.round(o.timeoutMs / 1000)} s`)), o.timeoutMs);
    req.on('error', (err) => finish(failed(err instanceof TargetRefused ? `refused: ${err.message}` : `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message}`.slice(0, 300))));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (reuse: boolean) =>
        finish(
          {
            status: res.statusCode ?? null,
            error: null,
            excerpt: Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8'),
            retryAfterSeconds: res.statusCode === 429 || res.statusCode === 503 ? retryAfterSeconds(res.headers['retry-after'], nowMs()) : null,
            durationMs: took(),
          },
          reuse,
        );
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        // The rest is not read: this connection is closed, not reused.
        if (size >= EXCERPT_BYTES) done(false);
      });
      res.on('end', () => done(true));
      res.on('error', () => done(false));
    });
    // Before the request goes: an IP literal in the URL is never looked up, so check it here.
    if (isIP(target.hostname.replace(/^\[|\]$/g, '')) !== 0) {
      checkedAddresses(target.hostname, o.allowPrivate).then(
        () => req.end(body),
        (err: Error) => finish(failed(`refused: ${err.message}`)),
      );
    } else req.end(body);
  });
}
