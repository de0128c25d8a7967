import { Cron } from 'croner';
import { badRequest } from '../errors.js';

// When a schedule is due: once (runAt, delaySeconds) or by a cron expression in a time zone,
// computed by croner. On the day the clocks go forward, a local time that does not exist fires
// when croner says (the first moment after the gap); on the day they go back, a local time that
// happens twice fires once, at its first occurrence.

export interface Timing {
  runAt?: string;
  delaySeconds?: number;
  cron?: string;
  timeZone?: string;
}

const MAX_DELAY_SECONDS = 366 * 86_400;
/** A runAt a little in the past (a client's clock behind ours) fires at once; further back is a mistake. */
const PAST_GRACE_MS = 60_000;

/** An IANA zone name Intl knows, or a 400 naming timeZone. */
function checkZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw badRequest('timeZone', `timeZone: ${JSON.stringify(zone)} is not an IANA time zone such as Europe/Helsinki.`);
  }
}

/** A croner pattern of five fields (or a nickname such as @daily) in `zone`; seconds are not taken. */
export function cronOf(expr: string, zone: string): Cron {
  if (expr.trim().split(/\s+/).length > 5) throw badRequest('cron', 'cron: give five fields (minute hour day-of-month month day-of-week); a seconds field is not taken.');
  try {
    return new Cron(expr, { timezone: zone, paused: true });
  } catch (err) {
    throw badRequest('cron', `cron: ${(err as Error).message}`);
  }
}

/** The first due time after `after` (ms), or null when the pattern has none. */
export function nextDue(expr: string, zone: string, after: number): number | null {
  return cronOf(expr, zone).nextRun(new Date(after))?.getTime() ?? null;
}

/**
 * Checks that exactly one of runAt, delaySeconds and cron is given (a 400 names the one too
 * many, or runAt when none is) and answers the first due time, with the pattern to repeat.
 */
export function firstDue(t: Timing, now: number): { dueAt: number; cron: string | null; timeZone: string | null } {
  const given = (['runAt', 'delaySeconds', 'cron'] as const).filter((k) => t[k] !== undefined);
  if (given.length !== 1) {
    const field = given[1] ?? 'runAt';
    throw badRequest(field, `Give exactly one of runAt, delaySeconds and cron (got ${given.length === 0 ? 'none' : given.join(' and ')}).`);
  }
  if (t.timeZone !== undefined && t.cron === undefined) throw badRequest('timeZone', 'timeZone goes with cron; runAt carries its own offset.');
  if (t.delaySeconds !== undefined) {
    if (!Number.isInteger(t.delaySeconds) || t.delaySeconds < 0 || t.delaySeconds > MAX_DELAY_SECONDS) {
      throw badRequest('delaySeconds', `delaySeconds must be a whole number from 0 to ${MAX_DELAY_SECONDS}.`);
    }
    return { dueAt: now + t.delaySeconds * 1000, cron: null, timeZone: null };
  }
  if (t.runAt !== undefined) {
    const at = Date.parse(t.runAt);
    if (!/(Z|[+-]\d\d:?\d\d)$/i.test(t.runAt) || Number.isNaN(at)) throw badRequest('runAt', 'runAt must be an ISO 8601 time with its offset, such as 2027-03-28T09:00:00+03:00.');
    if (at < now - PAST_GRACE_MS) throw badRequest('runAt', `runAt is in the past (${new Date(at).toISOString()}).`);
    return { dueAt: Math.max(at, now), cron: null, timeZone: null };
  }
  const zone = checkZone(t.timeZone ?? 'UTC');
  const expr = t.cron!.trim();
  const dueAt = nextDue(expr, zone, now);
  if (dueAt === null) throw badRequest('cron', 'cron: the pattern has no time in the future.');
  return { dueAt, cron: expr, timeZone: zone };
}
