// Who wrote a message that reached an inbound address: a customer (a reply for the agent
// queue) or a machine: a bounce or delay notice, a feedback-loop complaint, or an auto-reply.
// Headers only; the body is never read. The rules live in ../bounces/signals.ts, shared with the
// bounce reader; this names their verdicts in the inbound vocabulary.
import type { ParsedMail } from 'mailparser';
import { kindFromHead, type MailHead, type ReportKind } from '../bounces/signals.js';

export type InboundKind = 'reply' | 'auto_reply' | 'bounce' | 'complaint';

export interface Classification {
  kind: InboundKind;
  /** The signal that decided, for the recorded threading decision. */
  reason: string;
}

export type InboundHeaders = Pick<ParsedMail, 'headerLines' | 'subject' | 'from'>;

const INBOUND_KIND: Record<ReportKind, InboundKind> = {
  dsn: 'bounce',
  'nonstandard-bounce': 'bounce',
  arf: 'complaint',
  autoreply: 'auto_reply',
  none: 'reply',
};

/** The header block as ../bounces/signals.ts reads it, from mailparser's raw header lines. */
export function mailHead(parsed: InboundHeaders): MailHead {
  const fields = parsed.headerLines.map(({ key, line }) => ({
    name: key.toLowerCase(),
    value: line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim(),
  }));
  return { fields, subject: parsed.subject ?? '', fromAddress: parsed.from?.value[0]?.address ?? '' };
}

/**
 * `envelopeFrom` is the SMTP MAIL FROM as received ('' for the null sender `<>`); without it
 * the topmost Return-Path header stands in for it.
 */
export function classifyInbound(parsed: InboundHeaders, envelopeFrom?: string): Classification {
  const { kind, reason } = kindFromHead(mailHead(parsed), envelopeFrom);
  return { kind: INBOUND_KIND[kind], reason };
}
