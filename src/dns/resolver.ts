import { promises as dns } from 'node:dns';
import { TtlCache } from '../cache.js';

// Every DNS lookup threadline makes for mail authentication and domain checks goes through
// here: THREADLINE_DNS_SERVERS (or the system's resolver), a short timeout, and a small cache.
// mailauth takes the lookup function as its `resolver` option, with dns.resolve's signature.

export type RrType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'CNAME' | 'PTR' | 'NS';

/** dns.promises.resolve's shape: TXT answers are string[][], MX {exchange, priority}[], others string[]. */
export type Lookup = (name: string, rrtype: string) => Promise<unknown[]>;

export interface DnsResolver {
  /** Cached lookup, for inbound authentication (mailauth's `resolver`). */
  lookup: Lookup;
  /** Uncached lookup, for checking that a domain's records are published now. */
  fresh: Lookup;
  /** TXT records of `name` joined per record, [] when the name or the type does not exist. */
  txt(name: string, opts?: { fresh?: boolean }): Promise<string[]>;
}

/** Codes that mean "no such record": an answer, not a failure. */
export const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);
export const isNoRecord = (err: unknown) => NO_RECORD.has((err as { code?: string }).code ?? '');

const POSITIVE_MS = 5 * 60_000;
const NEGATIVE_MS = 60_000;
const MAX_ENTRIES = 20_000;

export function createDnsResolver(opts: { servers: string[]; timeoutMs?: number; now?: () => number }): DnsResolver {
  const resolver = new dns.Resolver({ timeout: opts.timeoutMs ?? 3_000, tries: 2 });
  if (opts.servers.length > 0) resolver.setServers(opts.servers);
  const now = opts.now ?? Date.now;
  const cache = new TtlCache<string, { value?: unknown[]; error?: unknown }>({ max: MAX_ENTRIES, ttlMs: POSITIVE_MS, clock: { now } });
  const inflight = new Map<string, Promise<unknown[]>>();

  const fresh: Lookup = (name, rrtype) => resolver.resolve(name, rrtype) as Promise<unknown[]>;

  const lookup: Lookup = async (name, rrtype) => {
    const key = `${rrtype} ${name.toLowerCase()}`;
    const hit = cache.get(key);
    if (hit) {
      if (hit.error) throw hit.error;
      return hit.value!;
    }
    let p = inflight.get(key);
    if (!p) {
      p = fresh(name, rrtype).then(
        (value) => {
          cache.set(key, { value });
          return value;
        },
        (error: unknown) => {
          // Only answers are cached: a timeout or SERVFAIL is asked again next time.
          if (isNoRecord(error)) cache.set(key, { error }, NEGATIVE_MS);
          throw error;
        },
      );
      inflight.set(key, p);
      void p.catch(() => undefined).finally(() => inflight.delete(key));
    }
    return p;
  };

  return {
    lookup,
    fresh,
    async txt(name, o = {}) {
      try {
        const rows = (await (o.fresh ? fresh : lookup)(name, 'TXT')) as string[][];
        return rows.map((parts) => parts.join(''));
      } catch (err) {
        if (isNoRecord(err)) return [];
        throw err;
      }
    },
  };
}
