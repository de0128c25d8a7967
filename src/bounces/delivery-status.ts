import { type Field, readFields, typedAddress } from './fields.js';

// The message/delivery-status body of RFC 3464 §2: one per-message block, then one block per
// recipient. Grouped by field, not by blank line: some MTAs leave the blank line out (MimeKit's
// no-blank-line sample) or put several in.

export interface DsnRecipient {
  /** Final-Recipient's address, without its `rfc822;` type. */
  recipient: string | null;
  originalRecipient: string | null;
  /** failed | delayed | delivered | relayed | expanded, lowercase, as written. */
  action: string | null;
  /** The x.y.z status code, or null. */
  status: string | null;
  /** Diagnostic-Code without its `smtp;` type. */
  diagnostic: string | null;
  /** Remote-MTA without its `dns;` type. */
  remoteMta: string | null;
}

export interface DeliveryStatus {
  reportingMta: string | null;
  recipients: DsnRecipient[];
}

const DSN_FIELDS = new Set([
  'reporting-mta',
  'dsn-gateway',
  'received-from-mta',
  'arrival-date',
  'original-envelope-id',
  'original-recipient',
  'final-recipient',
  'action',
  'status',
  'remote-mta',
  'diagnostic-code',
  'last-attempt-date',
  'final-log-id',
  'will-retry-until',
]);
const isDsnField = (name: string) => DSN_FIELDS.has(name) || name.startsWith('x-');

const FIRST_FIELD = /^(?:reporting-mta|final-recipient|original-recipient)[ \t]*:/im;

/**
 * Reads a delivery-status body. With `embedded`, `text` is prose that may hold the fields
 * somewhere (a report whose MIME structure is broken, so the part was not found): reading starts
 * at the first Reporting-MTA or recipient field and stops at the first field RFC 3464 does not
 * define, such as the returned message's own header.
 */
export function readDeliveryStatus(text: string, embedded = false): DeliveryStatus {
  let body = text;
  if (embedded) {
    const at = FIRST_FIELD.exec(text)?.index;
    if (at === undefined) return { reportingMta: null, recipients: [] };
    body = text.slice(at);
  }
  const fields: Field[] = [];
  for (const f of readFields(body, embedded)) {
    if (f === null) continue;
    if (embedded && !isDsnField(f.name)) break;
    fields.push(f);
  }
  let reportingMta: string | null = null;
  const recipients: DsnRecipient[] = [];
  // The recipient a field belongs to: the last one, unless that one already has the field.
  const open = (taken: (r: DsnRecipient) => unknown): DsnRecipient => {
    const last = recipients.at(-1);
    if (last && !taken(last)) return last;
    const r: DsnRecipient = { recipient: null, originalRecipient: null, action: null, status: null, diagnostic: null, remoteMta: null };
    recipients.push(r);
    return r;
  };
  for (const { name, value } of fields) {
    const last = () => recipients.at(-1) ?? open(() => true);
    if (name === 'reporting-mta') reportingMta ??= typedAddress(value);
    // Original-Recipient and Final-Recipient come in either order; either one after the previous
    // recipient's Action or Status starts the next recipient.
    else if (name === 'original-recipient') open((r) => r.originalRecipient || (r.recipient && (r.action || r.status))).originalRecipient = typedAddress(value);
    else if (name === 'final-recipient') open((r) => r.recipient || (r.originalRecipient && (r.action || r.status))).recipient = typedAddress(value);
    else if (name === 'action') open((r) => r.action).action = value.toLowerCase().split(/[\s(;]/)[0] || null;
    else if (name === 'status') last().status ??= /\d\.\d{1,3}\.\d{1,3}/.exec(value)?.[0] ?? null;
    else if (name === 'diagnostic-code') last().diagnostic ??= typedAddress(value);
    else if (name === 'remote-mta') last().remoteMta ??= typedAddress(value);
  }
  return {
    reportingMta,
    recipients: recipients.filter((r) => r.recipient || r.originalRecipient || r.action || r.status).map((r) => ({ ...r, recipient: r.recipient ?? r.originalRecipient })),
  };
}
