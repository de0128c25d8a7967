import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { Executor } from '../db/schema.js';
import type { TokenKeys } from '../mail/tokens.js';
import type { SuppressionService } from '../suppression/suppression.service.js';
import { type BounceRecipient, type Report, readReport } from './read-report.js';
import { classify, statusIn } from './reason.js';

// Where every message that did not reach its reader ends: the relay's or MX's permanent refusal,
// retries used up, or a report that came back. Each writes the message's status, what the bounce
// said, and the suppression list's verdict on the address, in the caller's transaction.

export interface BounceFacts {
  type: 'hard' | 'soft' | null;
  status: string | null;
  action: string;
  diagnostic: string | null;
  remoteMta: string | null;
  source: 'smtp' | 'retries' | 'dsn' | 'nonstandard-bounce' | 'arf';
  reason: string | null;
}

/** What became of a report: applied to a message, or dropped (and why). */
export type ReportOutcome = { applied: 'bounced' | 'complained' | 'delayed'; messageId: string } | { dropped: string };

type Message = { id: string; org_id: string; to_email: string; attempts: number };

export type BouncesService = ReturnType<typeof createBouncesService>;

export function createBouncesService(deps: {
  clock: Clock;
  keys: TokenKeys;
  conversations: Pick<ConversationsService, 'setDeliveryStatus' | 'recordBounce' | 'findMessageIn'>;
  suppressions: Pick<SuppressionService, 'bounced' | 'complained'>;
}) {
  const { conversations, suppressions } = deps;

  /** The bounce's record and the suppression list's verdict on the address. */
  async function note(trx: Executor, m: Message, f: BounceFacts) {
    await conversations.recordBounce(trx, {
      message_id: m.id,
      org_id: m.org_id,
      type: f.type,
      status: f.status,
      action: f.action,
      diagnostic: f.diagnostic,
      remote_mta: f.remoteMta,
      source: f.source,
      reason: f.reason,
      at: deps.clock.now(),
    });
    const detail = [f.status, f.diagnostic].filter(Boolean).join(' ').slice(0, 500) || null;
    if (f.source === 'arf') await suppressions.complained(trx, m.org_id, m.to_email, { messageId: m.id, detail });
    else if (f.type && f.action === 'failed') await suppressions.bounced(trx, m.org_id, m.to_email, { type: f.type, messageId: m.id, detail });
  }

  const facts = (r: BounceRecipient, source: BounceFacts['source']): BounceFacts => ({
    type: r.class,
    status: r.status,
    action: r.action,
    diagnostic: r.diagnostic,
    remoteMta: r.remoteMta,
    source,
    reason: r.reason,
  });

  /** The report's word on our message: the failed recipient that is the message's (else the first). */
  async function apply(trx: Executor, m: Message, report: Report): Promise<ReportOutcome> {
    if (report.kind === 'arf') {
      const f = report.feedback;
      await conversations.setDeliveryStatus(trx, [
        { id: m.id, status: 'complained', response: `complaint: ${f?.feedbackType ?? 'abuse'}`, detail: f?.source ? `reported by ${f.source}` : null, attempts: m.attempts },
      ]);
      await note(trx, m, {
        type: null,
        status: null,
        action: 'complained',
        diagnostic: f?.feedbackType ?? null,
        remoteMta: f?.source ?? null,
        source: 'arf',
        reason: f?.feedbackType ?? null,
      });
      return { applied: 'complained', messageId: m.id };
    }
    const ours = (r: BounceRecipient) => r.recipient?.toLowerCase() === m.to_email.toLowerCase();
    const failed = report.recipients.filter((r) => r.action === 'failed');
    const chosen = failed.find(ours) ?? failed[0];
    const source = report.kind === 'dsn' ? 'dsn' : 'nonstandard-bounce';
    if (!chosen) {
      // Only delays: the receiving side is still trying. Noted, the status left as it is.
      const delayed = report.recipients.find(ours) ?? report.recipients[0];
      if (!delayed) return { dropped: 'a report that names no failed or delayed recipient' };
      await note(trx, m, facts(delayed, source));
      return { applied: 'delayed', messageId: m.id };
    }
    const response = [chosen.status, chosen.diagnostic].filter(Boolean).join(' ').slice(0, 1000) || 'bounced';
    await conversations.setDeliveryStatus(trx, [
      { id: m.id, status: 'bounced', response, detail: `${chosen.class} bounce (${chosen.reason})${chosen.remoteMta ? ` from ${chosen.remoteMta}` : ''}`, attempts: m.attempts },
    ]);
    await note(trx, m, facts(chosen, source));
    return { applied: 'bounced', messageId: m.id };
  }

  return {
    /** Reads a message as a report: before any threading, off the SMTP session's time. */
    read: (raw: Buffer, envelope: { from: string; to?: string }) =>
      readReport(raw, { envelopeFrom: envelope.from, ...(envelope.to ? { envelopeRecipient: envelope.to } : {}), keys: deps.keys }),

    /**
     * Applies a report to the message it names, if that message is `orgId`'s: a report that
     * names nothing this organization sent is dropped (never threaded, never answered).
     */
    async applyReport(trx: Executor, orgId: string, report: Report): Promise<ReportOutcome> {
      if (report.kind === 'none' || report.kind === 'autoreply') return { dropped: `not a report (${report.kind})` };
      if (!report.messageId) return { dropped: 'names no message threadline sent' };
      const m = await conversations.findMessageIn(trx, orgId, report.messageId);
      if (!m) return { dropped: 'names a message this organization did not send' };
      return apply(trx, m, report);
    },

    /**
     * A delivery attempt ended `failed`: the relay or MX refused for good (`retriesUsedUp`
     * false) or the last of the retries was refused too. The answer is classified like a report.
     */
    async deliveryFailed(trx: Executor, m: Message, response: string, retriesUsedUp: boolean) {
      const status = statusIn(response);
      const verdict = classify(status, response, retriesUsedUp);
      await note(trx, m, {
        type: verdict.class,
        status,
        action: 'failed',
        diagnostic: response.slice(0, 1000),
        remoteMta: null,
        source: retriesUsedUp ? 'retries' : 'smtp',
        reason: verdict.reason,
      });
    },
  };
}
