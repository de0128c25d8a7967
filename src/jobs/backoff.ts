/** Milliseconds until the next attempt after `attempts` failed ones, or null: give up. */
export type Backoff = (attempts: number) => number | null;

/**
 * Doubling from `baseMs` up to `maxMs`, null after `limit` attempts. Each delay is shortened by
 * a random part of up to `jitter` of it, so that jobs that failed together (a receiver down, the
 * database back) do not all come back at the same moment.
 */
export function exponentialBackoff(o: { baseMs?: number; maxMs?: number; limit?: number; jitter?: number; random?: () => number } = {}): Backoff {
  const { baseMs = 1_000, maxMs = 3_600_000, limit = 10, jitter = 0.2, random = Math.random } = o;
  return (attempts) => {
    if (attempts >= limit) return null;
    const full = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(full * (1 - jitter * random()));
  };
}
