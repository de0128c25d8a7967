// A sliding-window limit approximated from two fixed windows (the estimate Cloudflare
// describes): the previous window's count weighted by how much of it still overlaps the last
// window's length, plus the current window's count. No burst at window edges, two rows per key,
// and it holds across instances because the counts live in the database. The organization's
// send limit uses one-minute windows; other limiters pass their own length.

export const WINDOW_MS = 60_000;

export function windowStart(now: number, windowMs = WINDOW_MS): number {
  return now - (now % windowMs);
}

export function estimate(previous: number, current: number, now: number, windowMs = WINDOW_MS): number {
  const elapsed = (now % windowMs) / windowMs;
  return previous * (1 - elapsed) + current;
}

/** Whole seconds until one more event would fit under `limit` (at least 1). */
export function retryAfterSeconds(previous: number, current: number, limit: number, now: number, windowMs = WINDOW_MS): number {
  const intoWindow = now % windowMs;
  const toWindowEnd = windowMs - intoWindow;
  // Within this window the estimate falls only as the previous window slides out.
  if (previous > 0 && current < limit) {
    const need = estimate(previous, current, now, windowMs) - (limit - 1);
    const ms = (need / previous) * windowMs;
    if (ms <= toWindowEnd) return Math.max(1, Math.ceil(ms / 1000));
  }
  // Otherwise the current window's count becomes the next window's "previous".
  const nextNeed = current - (limit - 1);
  const extra = current > 0 ? Math.max(0, (nextNeed / current) * windowMs) : 0;
  return Math.max(1, Math.ceil((toWindowEnd + extra) / 1000));
}
