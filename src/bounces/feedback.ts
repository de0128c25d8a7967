import { fieldValue, readFields } from './fields.js';

// The message/feedback-report body of RFC 5965 §3.

export interface Feedback {
  /** abuse | fraud | virus | other | not-spam | auth-failure …, lowercase; `abuse` when absent. */
  feedbackType: string;
  /** Original-Rcpt-To: the address that complained (many providers redact it). */
  originalRecipient: string | null;
  /** Original-Mail-From: the envelope sender of the reported message (our VERP address). */
  originalMailFrom: string | null;
  /** Who reported: User-Agent, else Reporting-MTA. */
  source: string | null;
  sourceIp: string | null;
  reportedDomain: string | null;
  arrivalDate: string | null;
}

// `rfc822; a@b`, `<a@b>`, `Name <a@b` (Comcast leaves the bracket open) → `a@b`.
const bare = (v: string | null) => (v?.includes('<') ? /<([^<>]*)/.exec(v)?.[1] : v?.replace(/^.*;\s*/, ''))?.trim() || null;

export function readFeedback(text: string): Feedback {
  const f = readFields(text);
  return {
    feedbackType: (fieldValue(f, 'feedback-type') ?? 'abuse').toLowerCase().split(/\s/)[0] || 'abuse',
    originalRecipient: bare(fieldValue(f, 'original-rcpt-to') ?? fieldValue(f, 'removal-recipient')),
    originalMailFrom: bare(fieldValue(f, 'original-mail-from')),
    source: fieldValue(f, 'user-agent') ?? bare(fieldValue(f, 'reporting-mta')),
    sourceIp: fieldValue(f, 'source-ip'),
    reportedDomain: fieldValue(f, 'reported-domain'),
    arrivalDate: fieldValue(f, 'arrival-date') ?? fieldValue(f, 'received-date'),
  };
}

/** A complaint without a feedback part (Microsoft's JMRP): the type is always abuse. */
export const jmrpFeedback = (source: string | null): Feedback => ({
  feedbackType: 'abuse',
  originalRecipient: null,
  originalMailFrom: null,
  source,
  sourceIp: null,
  reportedDomain: null,
  arrivalDate: null,
});
