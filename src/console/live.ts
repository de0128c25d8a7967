import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { INBOX_EVENT_TYPES } from '../acd/acd.inbox.js';
import { hasAnyPermission, PERMISSIONS } from '../auth/permissions.js';
import { AppError } from '../errors.js';
import { type Cursor, decodeCursor } from '../events/events.views.js';
import type { ConsoleDeps, ConsoleEnv } from './env.js';
import { page } from './guard.js';

export const LIVE = {
  /** How often the event log is read for a stream. */
  pollMs: 1000,
  /** A comment line this often keeps proxies from closing a quiet stream. */
  heartbeatMs: 15_000,
  /** Streams open at once in this process: past it a new one is refused (EventSource retries). */
  maxStreams: 500,
  /** Streams of one session (its tabs): a newer one past it ends the oldest, which is told so and does not reconnect. */
  perSession: 4,
  /** Events read per poll. */
  batch: 200,
};

/**
 * GET /console/live: server-sent events fed by the event log. Each batch of events that concerns
 * the user (their queues' items, the items they hold, replies to those) becomes one `change`
 * event naming only the event types and their number: the page then re-reads its live parts, through the same
 * permission checks as any request. A few streams per session, one per tab (past them the
 * oldest ends), and at most 10 sessions a user (sessions.service.ts): one user cannot take the
 * process's streams. A heartbeat, a `ready` event once it follows the log, and an `end` event when the session is signed out or expires.
 */
export function liveRoutes({ services, shutdown }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  /** Each session's open streams, oldest first: their stop functions. */
  const open = new Map<string, Array<(why?: string) => void>>();
  let total = 0;
  shutdown?.addEventListener('abort', () => {
    for (const stops of open.values()) for (const stop of stops) stop();
  });

  r.get('/live', page(), (c) => {
    const session = c.get('session');
    const principal = c.get('principal');
    let mine = open.get(session.tokenHash) ?? [];
    if (mine.length >= LIVE.perSession) {
      mine[0]!('replaced');
      mine = mine.slice(1);
    }
    if (total >= LIVE.maxStreams || shutdown?.aborted)
      throw new AppError(503, 'service.unavailable', 'Too many live streams are open; the page retries shortly.', [], { retryAfterSeconds: 5 });
    const viewer = { userId: principal.userId!, supervisor: hasAnyPermission(principal.permissions, [PERMISSIONS.workItemView]) };
    let stopped = false;
    let endedBecause: string | undefined;
    let wake: () => void = () => {};
    const stop = (why?: string) => {
      stopped = true;
      endedBecause ??= why;
      wake();
    };
    open.set(session.tokenHash, [...mine, stop]);
    total++;
    c.header('Cache-Control', 'no-store');
    // The connection ends with the stream: a shutdown then finds it gone, not idle in keep-alive.
    c.header('Connection', 'close');
    return streamSSE(c, async (stream) => {
      stream.onAbort(stop);
      try {
        let cursor: Cursor = await services.events.latest(principal.orgId);
        // From here on nothing that concerns the user is missed.
        await stream.writeSSE({ event: 'ready', data: '' });
        let quietSince = Date.now();
        while (!stopped) {
          if (!(await services.consoleSessions.isLive(session))) {
            await stream.writeSSE({ event: 'end', data: 'signed-out' });
            break;
          }
          const page = await services.events.list(principal.orgId, { after: cursor, types: [...INBOX_EVENT_TYPES], limit: LIVE.batch });
          cursor = decodeCursor(page.nextCursor) ?? cursor;
          const concerns = page.entities.length > 0 ? await services.inbox.concerning(principal.orgId, viewer) : null;
          const types = new Set<string>();
          let count = 0;
          for (const e of page.entities) {
            if (!(await concerns!(e))) continue;
            types.add(e.type);
            count++;
          }
          if (count > 0) {
            await stream.writeSSE({ event: 'change', data: JSON.stringify({ types: [...types], count }) });
            quietSince = Date.now();
          } else if (Date.now() - quietSince >= LIVE.heartbeatMs) {
            await stream.write(': heartbeat\n\n');
            quietSince = Date.now();
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, LIVE.pollMs);
            timer.unref();
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        // Told why, so that its page does not open it again (EventSource reconnects otherwise).
        if (endedBecause) await stream.writeSSE({ event: 'end', data: endedBecause });
      } finally {
        total--;
        const left = (open.get(session.tokenHash) ?? []).filter((s) => s !== stop);
        if (left.length > 0) open.set(session.tokenHash, left);
        else open.delete(session.tokenHash);
      }
    });
  });
  return r;
}
