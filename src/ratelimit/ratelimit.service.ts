import { TtlCache } from '../cache.js';
import type { Clock } from '../clock.js';
import type { Executor } from '../db/schema.js';
import { tooManyRequests } from '../errors.js';
import * as repo from './ratelimit.repo.js';
import { estimate, retryAfterSeconds, WINDOW_MS, windowStart } from './sliding-window.js';

/** The longest window a limiter may use: counters older than two of them are pruned. */
export const MAX_WINDOW_MS = 60 * 60_000;

/** One counted event: which counter and window to take it back from. */
export interface Counted {
  key: string;
  window: number;
}

export type RateLimitService = ReturnType<typeof createRateLimitService>;

export function createRateLimitService({ clock }: { clock: Clock }) {
  // A finished window's count never changes again: read it once per organization and minute.
  const previousCounts = new TtlCache<string, { window: number; count: number }>({ max: 10_000, ttlMs: 2 * WINDOW_MS, clock });
  async function previousCount(ex: Executor, orgId: string, window: number) {
    const hit = previousCounts.get(orgId);
    if (hit?.window === window) return hit.count;
    const count = await repo.countAt(ex, orgId, window);
    previousCounts.set(orgId, { window, count });
    return count;
  }

  /** Counts one event against `key`; the seconds to wait when that puts it over `limit`, else null. */
  async function count(ex: Executor, key: string, limit: number, windowMs: number, previous: (window: number) => Promise<number>) {
    const now = clock.now();
    const start = windowStart(now, windowMs);
    const current = await repo.increment(ex, key, start);
    const before = await previous(start - windowMs);
    const retry = estimate(before, current, now, windowMs) > limit ? retryAfterSeconds(before, current - 1, limit, now, windowMs) : null;
    return { counted: { key, window: start }, retry };
  }

  return {
    /**
     * Takes one send from the organization's per-minute allowance, inside the caller's
     * transaction: when the send is refused or rolled back, so is the count.
     */
    async take(ex: Executor, orgId: string, limitPerMinute: number): Promise<void> {
      const { retry } = await count(ex, orgId, limitPerMinute, WINDOW_MS, (w) => previousCount(ex, orgId, w));
      if (retry !== null) {
        throw tooManyRequests(
          `Rate limit exceeded: this organization may send ${limitPerMinute} emails per minute (agentless sends and agent replies together). Retry after ${retry} s.`,
          retry,
        );
      }
    },

    /**
     * Counts one event against `key` (a limiter's own, prefixed key) outside any transaction,
     * for limiters that count only some outcomes: the caller takes the count back with
     * `release` when the event turns out not to count. Over `limit`, the count is taken back
     * at once and the seconds to wait are returned instead.
     */
    async hit(ex: Executor, key: string, limit: number, windowMs: number): Promise<{ counted: Counted; retry: null } | { retry: number }> {
      if (windowMs > MAX_WINDOW_MS) throw new Error(`rate limit window ${windowMs} ms is longer than ${MAX_WINDOW_MS} ms`);
      const r = await count(ex, key, limit, windowMs, (w) => repo.countAt(ex, key, w));
      if (r.retry === null) return { counted: r.counted, retry: null };
      await repo.decrement(ex, key, r.counted.window);
      return { retry: r.retry };
    },

    release: (ex: Executor, c: Counted) => repo.decrement(ex, c.key, c.window).then(() => undefined),

    /** Forget windows that can no longer affect a decision. */
    prune: (ex: Executor) => repo.deleteBefore(ex, clock.now() - 2 * MAX_WINDOW_MS),
  };
}
