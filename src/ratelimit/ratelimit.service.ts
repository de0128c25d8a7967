import type { Clock } from '../clock.js';
import type { Executor } from '../db/schema.js';
import { TtlCache } from '../cache.js';
import { tooManyRequests } from '../errors.js';
import * as repo from './ratelimit.repo.js';
import { estimate, retryAfterSeconds, WINDOW_MS, windowStart } from './sliding-window.js';

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
  return {
    /**
     * Takes one send from the organization's per-minute allowance, inside the caller's
     * transaction: when the send is refused or rolled back, so is the count.
     */
    async take(ex: Executor, orgId: string, limitPerMinute: number): Promise<void> {
      const now = clock.now();
      const start = windowStart(now);
      const current = await repo.increment(ex, orgId, start);
      const previous = await previousCount(ex, orgId, start - WINDOW_MS);
      if (estimate(previous, current, now) > limitPerMinute) {
        const retry = retryAfterSeconds(previous, current - 1, limitPerMinute, now);
        throw tooManyRequests(`Rate limit exceeded: this organization may send ${limitPerMinute} emails per minute (agentless sends and agent replies together). Retry after ${retry} s.`, retry);
      }
    },

    /** Forget windows that can no longer affect a decision. */
    prune: (ex: Executor) => repo.deleteBefore(ex, windowStart(clock.now()) - WINDOW_MS),
  };
}
