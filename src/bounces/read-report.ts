import PostalMime, { type Attachment, addressParser, decodeWords, type Email } from 'postal-mime';
import { headBlock } from '../inbound/limits.js';
import { parseMessageIdHeader, type TokenKeys, verifyBounceAddress } from '../mail/tokens.js';
import { readDeliveryStatus } from './delivery-status.js';
import { type Feedback, jmrpFeedback, readFeedback } from './feedback.js';
import { type Field, messageIdOf, readFields } from './fields.js';
import { quotedMessageId, scrapeBounce } from './nonstandard.js';
import { type BounceClass, type BounceReason, classify } from './reason.js';
import { type HeadVerdict, kindFromHead, type MailHead, type ReportKind, returnPathOf, values } from './signals.js';

// What an inbound message reports about mail we sent: which kind of report it is, who failed
// and why, and which of our messages it is about. Pure: no database, no clock. Only the header
// block is read unless it says the message may be a report, so ordinary replies cost one small
// parse; the body read is bounded in bytes (the report parts come first, the returned message
// last), and every text search runs over a bounded string with linear patterns.

export interface BounceRecipient {
  /** The address that failed (Final-Recipient, or found in the notice), or null if none was named. */
  recipient: string | null;
  /** failed | delayed (or another RFC 3464 action as written). */
  action: string;
  /** x.y.z, or null. */
  status: string | null;
  diagnostic: string | null;
  remoteMta: string | null;
  reason: BounceReason;
  class: BounceClass;
}

export interface Report {
  kind: ReportKind;
  /** The signal that decided the kind. */
  why: string;
  /** dsn and nonstandard-bounce: one entry per failed or delayed recipient (successes left out). */
  recipients: BounceRecipient[];
  /** arf: the complaint. */
  feedback: Feedback | null;
  /** The Message-ID (no brackets) of the returned message, from its returned headers. */
  originalMessageId: string | null;
  /** The envelope recipient the caller gave (the VERP address), as given. */
  envelopeRecipient: string | null;
  /** Our message id, when `keys` were given and a VERP address or our Message-ID verified. */
  messageId: string | null;
  linkedBy: 'verp' | 'message-id' | null;
  /** The message was longer than `maxBytes` and only its start was read. */
  truncated: boolean;
}

export interface ReadOptions {
  /** SMTP MAIL FROM as received ('' for `<>`). */
  envelopeFrom?: string;
  /** The RCPT TO the report arrived at: our `bounces+TOKEN@` address. */
  envelopeRecipient?: string;
  /** To link the report to our message (verifyBounceAddress, parseMessageIdHeader). */
  keys?: TokenKeys;
  /** Bytes of the message read at most. */
  maxBytes?: number;
}

export const REPORT_LIMITS = {
  maxBytes: 512 * 1024,
  /** Characters of decoded text searched in prose bounces. */
  textChars: 64 * 1024,
  /** Recipients reported at most: one message's, at one receiving system. */
  recipients: 1000,
  nestingDepth: 32,
  headersBytes: 256 * 1024,
} as const;

const DAEMON_SENDER = /^(?:mailer-daemon|postmaster|post_master|mail-daemon)@/i;
// A report-less sender with a daemon's address is read when its notice says delivery failed.
const BOUNCE_TEXT =
  /could not be delivered|couldn.t be delivered|undeliverable|delivery (?:has )?failed|failed permanently|did not reach|was not delivered|unable to deliver|not be delivered|permanent error|mailbox (?:is )?full|user unknown|not a valid user|no such user|invalid user|following recipients? failed/i;
const REPORT_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_TYPES = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers']);

export async function readReport(raw: Buffer, options: ReadOptions = {}): Promise<Report> {
  const head = readHead(raw);
  let verdict: HeadVerdict = kindFromHead(head, options.envelopeFrom);
  // A daemon's or nobody's message that no header marks as a report may still be one in words
  // (an auto-reply marker included: MTAs stamp bounces Auto-Submitted too).
  const daemon = DAEMON_SENDER.test(head.fromAddress) || head.fromAddress === '' || options.envelopeFrom === '';
  const report = blank(verdict, options);
  const maybe = verdict.kind === 'none' || verdict.kind === 'autoreply';
  if (maybe && !daemon) return link(report, head, null, options);

  const maxBytes = options.maxBytes ?? REPORT_LIMITS.maxBytes;
  report.truncated = raw.length > maxBytes;
  const start = bounded(raw, maxBytes);
  let mail: Email;
  try {
    mail = await PostalMime.parse(start, {
      forceRfc822Attachments: true,
      maxNestingDepth: REPORT_LIMITS.nestingDepth,
      maxHeadersSize: REPORT_LIMITS.headersBytes,
    });
  } catch {
    return link(report, head, null, options);
  }
  // A multipart whose boundary never comes has no parts: its body is then read as text.
  const text = (mail.text || bodyOf(start)).slice(0, REPORT_LIMITS.textChars);
  if (maybe) {
    if (!BOUNCE_TEXT.test(text.slice(0, 4096))) return link(report, head, mail, options);
    verdict = { kind: 'nonstandard-bounce', reason: `bounce text from ${head.fromAddress || 'the null sender'}` };
    Object.assign(report, { kind: verdict.kind, why: verdict.reason });
  }

  if (verdict.kind === 'arf') {
    const part = mail.attachments.find((a) => a.mimeType === 'message/feedback-report');
    report.feedback = part ? readFeedback(decode(part)) : jmrpFeedback(head.fromAddress || null);
    return link(report, head, mail, options);
  }

  const exclude = [head.fromAddress, options.envelopeRecipient ?? ''].filter(Boolean);
  const named = values(head, 'x-failed-recipients').flatMap((v) =>
    v
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a.includes('@')),
  );
  const scraped = scrapeBounce(text, head.subject, exclude, named);
  const statusParts = mail.attachments.filter((a) => REPORT_TYPES.has(a.mimeType));
  let entries = statusParts.flatMap((a) => readDeliveryStatus(decode(a)).recipients);
  // A report whose MIME structure is broken: its fields are still in the text somewhere.
  if (!entries.length) entries = readDeliveryStatus(text, true).recipients;
  const fromFields = entries.length > 0;
  const rows = fromFields ? entries.map((e) => ({ ...e, action: e.action ?? 'failed' })) : scraped.recipients.map((r) => ({ ...r, remoteMta: null }));
  report.recipients = rows
    .filter((r) => !['delivered', 'relayed', 'expanded'].includes(r.action))
    .slice(0, REPORT_LIMITS.recipients)
    .map((r) => {
      const temporary = r.action === 'delayed' || (r.status?.startsWith('4') ?? false);
      let verdict = classify(r.status, r.diagnostic, temporary);
      // Neither the diagnostic nor the status code says why: the notice people read may.
      if (verdict.reason === 'undefined') verdict = classify(r.status, scraped.notice, temporary);
      return { recipient: r.recipient, action: r.action, status: r.status, diagnostic: r.diagnostic, remoteMta: r.remoteMta, ...verdict };
    });
  return link(report, head, mail, options, scraped.originalMessageId);
}

// The header block read by hand: a full MIME parse of it costs several times more, and every
// inbound message passes here.
function readHead(raw: Buffer): MailHead {
  const lines = readFields(headBlock(raw).toString('utf8'));
  // The header block ends at the first empty line, even the very first one.
  const end = lines.indexOf(null);
  const fields = (end < 0 ? lines : lines.slice(0, end)) as Field[];
  const first = (name: string) => fields.find((f) => f.name === name)?.value ?? '';
  let fromAddress = '';
  try {
    const from = addressParser(first('from'), { flatten: true })[0];
    fromAddress = from?.address ?? '';
  } catch {
    // An unparseable From is no From.
  }
  return { fields, subject: decodeWords(first('subject')).trim(), fromAddress };
}

function blank(verdict: HeadVerdict, options: ReadOptions): Report {
  return {
    kind: verdict.kind,
    why: verdict.reason,
    recipients: [],
    feedback: null,
    originalMessageId: null,
    envelopeRecipient: options.envelopeRecipient ?? null,
    messageId: null,
    linkedBy: null,
    truncated: false,
  };
}

/** The start of `raw`, at most `max` bytes, cut at a line end so no line is read half. */
function bounded(raw: Buffer, max: number): Buffer {
  if (raw.length <= max) return raw;
  const end = raw.lastIndexOf('\n', max - 1);
  return raw.subarray(0, end > 0 ? end + 1 : max);
}

/** The bytes after the header block, as text. */
function bodyOf(raw: Buffer): string {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf < 0 ? -1 : crlf + 4, lf < 0 ? -1 : lf + 2].filter((i) => i > 0);
  return ends.length ? raw.subarray(Math.min(...ends)).toString('latin1') : '';
}

// Report parts are 7-bit text by RFC 3464 (UTF-8 by RFC 6533); Japanese MTAs write ISO-2022-JP,
// whose escape sequences say so.
function decode(a: Attachment): string {
  const bytes = typeof a.content === 'string' ? Buffer.from(a.content) : new Uint8Array(a.content);
  const charset = bytes.includes(0x1b) ? 'iso-2022-jp' : 'utf-8';
  return new TextDecoder(charset).decode(bytes.subarray(0, REPORT_LIMITS.textChars * 4)).slice(0, REPORT_LIMITS.textChars);
}

// The returned message's header block: the report's message/rfc822 or text/rfc822-headers part.
function returnedHeaders(mail: Email | null) {
  const part = mail?.attachments.find((a) => RETURNED_TYPES.has(a.mimeType));
  if (!part) return null;
  const text = decode(part);
  const end = text.search(/\r?\n\r?\n/);
  return readFields(end >= 0 ? text.slice(0, end) : text);
}

function link(report: Report, head: MailHead, mail: Email | null, options: ReadOptions, quoted: string | null = null): Report {
  if (report.kind === 'none' || report.kind === 'autoreply') return report;
  const returned = returnedHeaders(mail);
  const own = messageIdOf(head.fields);
  // Text searched for a quoted header: the notice, and report parts that swallowed the returned
  // headers (a boundary that does not match); there the report's own Message-ID may appear too.
  const texts = [mail?.text ?? '', ...(mail?.attachments.filter((a) => REPORT_TYPES.has(a.mimeType)).map(decode) ?? [])];
  const scanned = [quoted, ...texts.map((t) => quotedMessageId(t.slice(0, REPORT_LIMITS.textChars)))].filter((id) => id && id !== own);
  // Some MTAs return no headers but answer the message: its In-Reply-To names it.
  const inReplyTo = values(head, 'in-reply-to')[0]?.match(/<([^<>\s]+)>/)?.[1];
  const found = [returned && messageIdOf(returned), ...scanned, inReplyTo].find(Boolean);
  report.originalMessageId = found ?? null;
  const { keys } = options;
  if (!keys) return report;
  // Our envelope sender can come back three ways: as the RCPT the report was sent to, as the
  // complaint's Original-Mail-From, or as the returned message's Return-Path.
  const returnPath = returned ? returnPathOf({ fields: returned.filter((f) => f !== null), subject: '', fromAddress: '' }) : undefined;
  for (const address of [options.envelopeRecipient, report.feedback?.originalMailFrom, returnPath]) {
    const id = address ? verifyBounceAddress(keys, address) : null;
    if (id) return Object.assign(report, { messageId: id, linkedBy: 'verp' as const });
  }
  const id = report.originalMessageId ? parseMessageIdHeader(keys, report.originalMessageId) : null;
  return id ? Object.assign(report, { messageId: id, linkedBy: 'message-id' as const }) : report;
}
