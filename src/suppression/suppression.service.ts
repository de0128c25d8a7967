import type { Clock } from '../clock.js';
import type { Db, Executor } from '../db/schema.js';
import { AppError, badRequest, notFound } from '../errors.js';
import type { EventsService } from '../events/events.service.js';
import { addressProblem } from '../mail/address.js';
import * as repo from './suppression.repo.js';

/** Why an address is suppressed. */
export type SuppressionReason = 'hard-bounce' | 'complaint' | 'soft-bounce' | 'manual';

// Soft bounces (a full mailbox, a policy block) often clear within days; one of them must not
// stop mail, but a mailbox that keeps refusing would have the sender mailing into a wall, which
// is what providers throttle senders for. So: this many within the window suppress the address
// for a while, and the entry then expires by itself.
export const SOFT_BOUNCE_LIMIT = 3;
export const SOFT_BOUNCE_WINDOW_MS = 7 * 86_400_000;
export const SOFT_SUPPRESSION_MS = 7 * 86_400_000;

export interface SuppressionView {
  email: string;
  reason: SuppressionReason;
  detail?: string;
  messageId?: string;
  dateCreated: string;
  dateExpires?: string;
  selfUri: string;
}

const view = (r: repo.SuppressionRow): SuppressionView => ({
  email: r.email,
  reason: r.reason as SuppressionReason,
  ...(r.detail ? { detail: r.detail } : {}),
  ...(r.message_id ? { messageId: r.message_id } : {}),
  dateCreated: new Date(Number(r.created_at)).toISOString(),
  ...(r.expires_at !== null ? { dateExpires: new Date(Number(r.expires_at)).toISOString() } : {}),
  selfUri: `/api/v2/suppressions/${encodeURIComponent(r.email)}`,
});

/** One entry per mailbox: the address as given, lower-cased, after the checks every address gets. */
function mailbox(field: string, email: string): string {
  const e = email.trim();
  const problem = addressProblem(e);
  if (problem) throw badRequest(field, `${field} ${problem}.`);
  return e.toLowerCase();
}

export type SuppressionService = ReturnType<typeof createSuppressionService>;

export function createSuppressionService({ db, clock, events }: { db: Db; clock: Clock; events: Pick<EventsService, 'record'> }) {
  /** Adds (or replaces) an entry, with its event, in the caller's transaction. */
  async function add(ex: Executor, orgId: string, email: string, e: { reason: SuppressionReason; detail: string | null; messageId: string | null; expiresAt: number | null }) {
    const address = email.toLowerCase();
    await repo.upsert(ex, { org_id: orgId, email: address, reason: e.reason, detail: e.detail, message_id: e.messageId, created_at: clock.now(), expires_at: e.expiresAt });
    await events.record(ex, orgId, 'suppression.added', {
      email: address,
      reason: e.reason,
      ...(e.messageId ? { messageId: e.messageId } : {}),
      ...(e.expiresAt !== null ? { expires: new Date(e.expiresAt).toISOString() } : {}),
    });
  }

  return {
    /** The entry that stops mail to `email` now, if any (the outbound pipeline asks on every send). */
    active: (ex: Executor, orgId: string, email: string) => repo.findActive(ex, orgId, email.toLowerCase(), clock.now()),

    /** The refusal a send to a suppressed address gets: 400 `recipient.suppressed`, naming the field. */
    refusal(field: string, entry: repo.SuppressionRow): AppError {
      const since = new Date(Number(entry.created_at)).toISOString();
      return new AppError(
        400,
        'recipient.suppressed',
        `${entry.email} is on this organization's suppression list (${entry.reason} since ${since}); DELETE /api/v2/suppressions/${encodeURIComponent(entry.email)} to mail it again.`,
        [{ errorCode: 'recipient.suppressed', fieldName: field }],
      );
    },

    /**
     * A bounce's verdict on an address: a hard bounce suppresses it until removed; soft ones
     * count, and suppress it for a while once there are SOFT_BOUNCE_LIMIT in the window.
     * Returns whether the address is suppressed now because of this bounce.
     */
    async bounced(ex: Executor, orgId: string, email: string, b: { type: 'hard' | 'soft'; messageId: string; detail: string | null }): Promise<boolean> {
      const address = email.toLowerCase();
      if (b.type === 'hard') {
        await add(ex, orgId, address, { reason: 'hard-bounce', detail: b.detail, messageId: b.messageId, expiresAt: null });
        await repo.clearSoftBounces(ex, orgId, address);
        return true;
      }
      const now = clock.now();
      if ((await repo.countSoftBounce(ex, orgId, address, now, SOFT_BOUNCE_WINDOW_MS)) < SOFT_BOUNCE_LIMIT) return false;
      // A lasting entry (hard bounce, complaint, an administrator's) is not shortened by this one.
      const existing = await repo.findActive(ex, orgId, address, now);
      if (existing && existing.expires_at === null) return false;
      await add(ex, orgId, address, { reason: 'soft-bounce', detail: b.detail, messageId: b.messageId, expiresAt: now + SOFT_SUPPRESSION_MS });
      await repo.clearSoftBounces(ex, orgId, address);
      return true;
    },

    /** A complaint (the recipient marked the message as spam): suppressed until removed. */
    complained: (ex: Executor, orgId: string, email: string, c: { messageId: string; detail: string | null }) =>
      add(ex, orgId, email, { reason: 'complaint', detail: c.detail, messageId: c.messageId, expiresAt: null }),

    async list(orgId: string, o: { email?: string; pageSize: number; pageNumber: number }) {
      const now = clock.now();
      const contains = o.email?.trim().toLowerCase() || null;
      const [rows, total] = await Promise.all([repo.list(db, orgId, now, contains, o.pageSize, (o.pageNumber - 1) * o.pageSize), repo.count(db, orgId, now, contains)]);
      return { entities: rows.map(view), total };
    },

    async get(orgId: string, email: string) {
      const row = await repo.findActive(db, orgId, mailbox('email', email), clock.now());
      if (!row) throw notFound(`Suppression of ${email}`);
      return view(row);
    },

    /** An administrator's entry: until removed, replacing whatever entry the address had. */
    async put(orgId: string, email: string, reason: string | null) {
      const address = mailbox('email', email);
      await db.transaction().execute((trx) => add(trx, orgId, address, { reason: 'manual', detail: reason, messageId: null, expiresAt: null }));
      return view((await repo.findActive(db, orgId, address, clock.now()))!);
    },

    async remove(orgId: string, email: string) {
      const address = mailbox('email', email);
      await db.transaction().execute(async (trx) => {
        if (!(await repo.remove(trx, orgId, address))) throw notFound(`Suppression of ${email}`);
        await repo.clearSoftBounces(trx, orgId, address);
        await events.record(trx, orgId, 'suppression.removed', { email: address });
      });
    },
  };
}
