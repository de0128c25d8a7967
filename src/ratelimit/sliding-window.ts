// A sliding-window limit approximated from two fixed one-minute windows (the estimate
// Cloudflare describes): the previous window's count weighted by how much of it still
// overlaps the last 60 seconds, plus the current window's count. No burst at window edges,
// two rows per organization, and it holds across instances because the counts live in the
// database.

export const WINDOW_MS = 60_000;

export function windowStart(now: number): number {
  return now - (now % WINDOW_MS);
}

export function estimate(previous: number, current: number, now: number): number {
  const elapsed = (now % WINDOW_MS) / WINDOW_MS;
  return previous * (1 - elapsed) + current;
}

/** Whole seconds until one more send would fit under `limit` (at least 1). */
export function retryAfterSeconds(previous: number, current: number, limit: number, now: number): number {
  const intoWindow = now % WINDOW_MS;
  const toWindowEnd = WINDOW_MS - intoWindow;
  // Within this window the estimate falls only as the previous window slides out.
  if (previous > 0 && current < limit) {
    const need = estimate(previous, current, now) - (limit - 1);
    const ms = (need / previous) * WINDOW_MS;
    if (ms <= toWindowEnd) return Math.max(1, Math.ceil(ms / 1000));
  }
  // Otherwise the current window's count becomes the next window's "previous".
  const nextNeed = current - (limit - 1);
  const extra = current > 0 ? Math.max(0, (nextNeed / current) * WINDOW_MS) : 0;
  return Math.max(1, Math.ceil((toWindowEnd + extra) / 1000));
}
