import type { BouncesService, ReportOutcome } from '../bounces/bounces.service.js';
import { REPORT_LIMITS, type Report } from '../bounces/read-report.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Db } from '../db/schema.js';
import type { DomainsService } from '../domains/domains.service.js';
import type { Logger } from '../log.js';
import { type TokenKeys, verifyBounceAddress } from '../mail/tokens.js';
import type { Metrics } from '../ops/metrics.js';
import type { RawSource } from './spool.js';

// Reports come back before threading, and never reach it: a bounce or complaint is applied to
// the message it names (or dropped when it names nothing we sent, so no backscatter and no
// conversation for it), and an auto-reply to a return path joins the conversation through the
// message's own reply address, where it is kept and never queued (RFC 3834 has vacation
// programs answer the return path).

/** A report's fate, in the shape the SMTP layer logs for every stored message. */
export interface ReportResult {
  orgId: string;
  messageId: string;
  conversationId: string;
  duplicate: false;
  kind: 'bounce' | 'complaint';
  outcome: 'applied' | 'dropped';
  workItem: false;
  /** Why a report was dropped. */
  reason?: string;
}

export interface Dispatched {
  results: ReportResult[];
  /** Recipients left for threading: inbound addresses, and the reply address an auto-reply to a return path stands for. */
  recipients: string[];
}

// A report is read from its start only: one byte past the limit tells the reader it was cut.
const head = (raw: RawSource) => raw.head(REPORT_LIMITS.maxBytes + 1);

const kindOf = (r: Report): ReportResult['kind'] => (r.kind === 'arf' ? 'complaint' : 'bounce');

export function createReportDispatch(deps: {
  db: Db;
  batcher: TxBatcher;
  keys: TokenKeys;
  bounces: BouncesService;
  conversations: Pick<ConversationsService, 'findMessageById'>;
  domains: Pick<DomainsService, 'inboundDomainOrg'>;
  metrics?: Metrics;
  log?: Logger;
}) {
  const dropped = (orgId: string, r: Report, reason: string): ReportResult => {
    deps.metrics?.reportsDroppedTotal.inc({ kind: kindOf(r) });
    return { orgId, messageId: r.messageId ?? '', conversationId: '', duplicate: false, kind: kindOf(r), outcome: 'dropped', workItem: false, reason };
  };

  async function apply(orgId: string, report: Report): Promise<ReportResult> {
    const outcome: ReportOutcome = await deps.batcher.run((trx) => deps.bounces.applyReport(trx, orgId, report));
    if ('dropped' in outcome) return dropped(orgId, report, outcome.dropped);
    deps.metrics?.reportsAppliedTotal.inc({ outcome: outcome.applied });
    const m = await deps.conversations.findMessageById(outcome.messageId);
    return { orgId, messageId: outcome.messageId, conversationId: m?.conversation_id ?? '', duplicate: false, kind: kindOf(report), outcome: 'applied', workItem: false };
  }

  return {
    /** Mail to our return paths (`bounces+TOKEN@`): applied, dropped, or handed on as an auto-reply. */
    async returnPaths(mail: { raw: RawSource; envelopeFrom: string; recipients: string[] }): Promise<Dispatched> {
      const out: Dispatched = { results: [], recipients: [] };
      for (const rcpt of mail.recipients) {
        const messageId = verifyBounceAddress(deps.keys, rcpt);
        if (!messageId) {
          out.recipients.push(rcpt);
          continue;
        }
        const m = await deps.conversations.findMessageById(messageId);
        if (!m) continue; // accepted at RCPT, deleted since: nothing to tell
        const report = await deps.bounces.read(await head(mail.raw), { from: mail.envelopeFrom, to: rcpt });
        if (report.kind === 'dsn' || report.kind === 'arf' || report.kind === 'nonstandard-bounce') {
          out.results.push(await apply(m.org_id, report));
        } else if (
          report.kind === 'autoreply' &&
          m.reply_to_email &&
          (await deps.domains.inboundDomainOrg(deps.db, m.reply_to_email.slice(m.reply_to_email.lastIndexOf('@') + 1))) === m.org_id
        ) {
          if (!out.recipients.includes(m.reply_to_email)) out.recipients.push(m.reply_to_email);
        } else {
          out.results.push(dropped(m.org_id, report, `mail to a return path that is not a report (${report.kind})`));
        }
      }
      return out;
    },

    /**
     * A report that came to an inbound address (the header block said bounce or complaint):
     * applied to the organization's message it names, else dropped. Null when a closer reading
     * finds it is not a report after all: it is then threaded like any other mail.
     */
    async atInbound(orgId: string, mail: { raw: RawSource; envelopeFrom: string }): Promise<ReportResult | null> {
      const report = await deps.bounces.read(await head(mail.raw), { from: mail.envelopeFrom });
      if (report.kind !== 'dsn' && report.kind !== 'arf' && report.kind !== 'nonstandard-bounce') return null;
      return apply(orgId, report);
    },
  };
}
