/**
 * Delays before each retry, after the first try (Standard Webhooks' example schedule): a
 * receiver down for a day and more still gets every event, the last try about 3 days after the
 * first. Each delay is shortened by up to a tenth at random, so that events that failed
 * together (one receiver down for many subscriptions) do not all come back at one moment.
 */
export const RETRY_DELAYS_MS = [5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400].map((s) => s * 1000);

/** Tries in all: the first and the retries. */
export const MAX_TRIES = RETRY_DELAYS_MS.length + 1;

/** A Retry-After (429, 503) is followed within these bounds. */
export const RETRY_AFTER_MAX_MS = 86_400_000;

/** Milliseconds until the next try after `tries` failed ones, or null: the event is dead. */
export function retryDelay(tries: number, retryAfterSeconds: number | null, random: () => number = Math.random): number | null {
  if (tries >= MAX_TRIES) return null;
  if (retryAfterSeconds !== null) return Math.min(RETRY_AFTER_MAX_MS, Math.max(1000, retryAfterSeconds * 1000));
  const full = RETRY_DELAYS_MS[tries - 1]!;
  return Math.round(full * (1 - 0.1 * random()));
}
