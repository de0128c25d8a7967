import { type Field, parseContentType } from './fields.js';

// What the header block alone says a message is: a delivery report (RFC 3464 or an MTA's own
// format), a complaint (RFC 5965 ARF or Microsoft's JMRP), an auto-reply (RFC 3834,
// out-of-office, read receipt, challenge-response), or none of these (someone wrote it). The one
// place these rules live: classify.ts (inbound threading) and read-report.ts both start here.
//
// Order matters: a complaint or a delivery report is decided before any auto-reply marker,
// because MTAs stamp their bounces with `Auto-Submitted: auto-replied` too (Exim, Postfix,
// Exchange), and that must not turn a bounce into an out-of-office.

export type ReportKind = 'dsn' | 'arf' | 'nonstandard-bounce' | 'autoreply' | 'none';

export interface MailHead {
  /** Every header field in order: lowercase names, unfolded raw values. */
  fields: Field[];
  /** The decoded Subject, '' when none. */
  subject: string;
  /** The first From address, '' when none. */
  fromAddress: string;
}

export interface HeadVerdict {
  kind: ReportKind;
  /** The signal that decided, for the recorded decision. */
  reason: string;
  /** Microsoft's JMRP: a complaint as multipart/mixed, without a feedback-report part. */
  jmrp?: true;
}

// Subjects MTAs give their non-RFC 3464 bounces and delay warnings (Exim, qmail, Sendmail,
// Exchange and its translations, Domino, Gmail, Yahoo, Mail.ru...). Only trusted together with
// a daemon or null sender: a customer may well write "undelivered" in a subject.
const BOUNCE_SUBJECT =
  /undeliver|undelivered|delivery (?:status|failure|failed|has failed|notification)|mail delivery|failure notice|returned mail|returned to sender|delayed|could not send message|mail system error|\bbounce|unzustellbar|non remis|non recapitabile|onbestelbaar|no se puede entregar|не доставлен|недоставлен/iu;

const DAEMON_LOCAL_PART = /^(?:mailer-daemon|postmaster)$/i;

// Out-of-office and autoresponder markers as clients put them: first in the subject
// ("Automatic reply: …", "[Automatyczna odpowiedź] …"), or after it ("… (Automatic Response)"
// from AOL). A marker inside the text of a subject is not enough: "Re: auto-reply settings"
// is a customer writing about auto-replies.
const AUTO_REPLY_PHRASES = [
  'out of (?:the )?office',
  'automatic reply',
  'auto[- ]?reply',
  'auto[- ]?response',
  'automatic response',
  'automatische antwort',
  'abwesenheitsnotiz',
  'réponse automatique',
  'respuesta automática',
  'risposta automatica',
  'resposta automática',
  'automatisch antwoord',
  'autosvar',
  'automaattinen vastaus',
  'automatyczna odpowied[zź]',
  'automatická odpověď',
  'автоматический ответ',
  '自动回复',
  '自動応答',
].join('|');
const AUTO_REPLY_SUBJECT = [
  new RegExp(String.raw`^[\s\[(]*(?:${AUTO_REPLY_PHRASES})(?![\p{L}\p{N}])`, 'iu'),
  new RegExp(String.raw`\((?:${AUTO_REPLY_PHRASES})\)\s*$`, 'iu'),
  // Lotus Notes: "AUTO: Smith, John is out of the office. (returning 05/01/2010)".
  /^\s*AUTO:\s/,
  /\bis out of (?:the )?office\b/i,
];

// Challenge-response systems answer with a "verify yourself" message and no RFC 3834 marker;
// only their own headers give them away (Boxbe sends a real DSN and is a bounce instead).
const CHALLENGE_RESPONSE_HEADERS = ['x-bluebottle-request'];

const LIST_PRECEDENCE = new Set(['bulk', 'junk', 'list']);

/** Values of a header field, in order. */
export const values = (head: MailHead, name: string) => head.fields.filter((f) => f.name === name).map((f) => f.value);

/** The address of a Return-Path value: '' for `<>`, undefined when there is no such field. */
export function returnPathOf(head: MailHead): string | undefined {
  const v = values(head, 'return-path')[0];
  if (v === undefined) return undefined;
  return (/<([^<>]*)>/.exec(v)?.[1] ?? v).trim();
}

const localPart = (address: string) => (address.includes('@') ? address.slice(0, address.lastIndexOf('@')) : address);

// "auto-generated (failure)" → "auto-generated"; "Bulk" → "bulk".
const token = (v: string) =>
  v
    .trim()
    .split(/[\s;(]/)[0]!
    .toLowerCase();

/**
 * `envelopeFrom` is the SMTP MAIL FROM as received ('' for the null sender `<>`); without it
 * the topmost Return-Path header stands in for it.
 */
export function kindFromHead(head: MailHead, envelopeFrom?: string): HeadVerdict {
  const subject = head.subject;
  const contentType = parseContentType(values(head, 'content-type')[0]);
  const reportType = contentType.type === 'multipart/report' ? (contentType.params['report-type'] ?? '').toLowerCase() : '';
  const returnPath = envelopeFrom ?? returnPathOf(head);
  const fromAddress = head.fromAddress;

  if (reportType === 'feedback-report') return { kind: 'arf', reason: 'multipart/report; report-type=feedback-report (ARF)' };
  // Microsoft's JMRP sends its complaints as multipart/mixed with this fixed subject.
  if (/^complaint about message from [\d.:a-fx]+$/i.test(subject.trim())) return { kind: 'arf', reason: 'subject: JMRP complaint', jmrp: true };

  if (reportType === 'delivery-status') return { kind: 'dsn', reason: 'multipart/report; report-type=delivery-status (RFC 3464)' };
  if (contentType.type === 'message/delivery-status') return { kind: 'dsn', reason: 'message/delivery-status' };
  if (values(head, 'x-failed-recipients').length) return { kind: 'nonstandard-bounce', reason: 'X-Failed-Recipients' };
  const automatedSender = DAEMON_LOCAL_PART.exec(localPart(fromAddress))?.[0].toLowerCase() ?? (fromAddress === '' ? 'null or missing From' : returnPath === '' ? 'null Return-Path' : null);
  if (automatedSender && BOUNCE_SUBJECT.test(subject)) return { kind: 'nonstandard-bounce', reason: `bounce subject from ${automatedSender}` };

  const autoreply = (reason: string): HeadVerdict => ({ kind: 'autoreply', reason });
  if (reportType === 'disposition-notification') return autoreply('read receipt (report-type=disposition-notification)');
  const autoSubmitted = values(head, 'auto-submitted')
    .map(token)
    .find((v) => v !== '' && v !== 'no');
  if (autoSubmitted) return autoreply(`Auto-Submitted: ${autoSubmitted}`);
  for (const name of ['X-Autoreply', 'X-Autorespond']) {
    if (values(head, name.toLowerCase()).some((v) => !/^(?:no|false|0)?$/i.test(v.trim()))) return autoreply(name);
  }
  const challenge = CHALLENGE_RESPONSE_HEADERS.find((name) => values(head, name).length);
  if (challenge) return autoreply(`challenge-response (${challenge})`);
  if (AUTO_REPLY_SUBJECT.some((re) => re.test(subject))) return autoreply('subject: out-of-office marker');

  // Precedence is added in transit by mailing lists and forwarders (real replies in our
  // fixtures carry `Precedence: bulk`), and Outlook sets X-Auto-Response-Suppress on some
  // ordinary mail (meeting responses, add-ins, transport rules), so neither decides alone. Both
  // count with the null reverse path that RFC 3834 §3.3 asks responders to send from: a person
  // writing back always has an address to be answered at.
  if (returnPath === '') {
    const precedence = values(head, 'precedence')
      .map(token)
      .find((v) => LIST_PRECEDENCE.has(v));
    if (precedence) return autoreply(`null Return-Path with Precedence: ${precedence}`);
    if (values(head, 'x-auto-response-suppress').length) return autoreply('null Return-Path with X-Auto-Response-Suppress');
  }
  return { kind: 'none', reason: 'no automated-mail signal' };
}
