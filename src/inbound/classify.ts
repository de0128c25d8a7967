// Who wrote a message that reached an inbound address: a customer (a reply for the agent
// queue) or a machine: a bounce or delay notice (RFC 3464 and the MTAs that predate it), a
// feedback-loop complaint (ARF, RFC 5965), or an auto-reply (RFC 3834, out-of-office, read
// receipt, challenge-response). Headers only; the body is never read.
//
// Order matters: a complaint or a delivery report is decided before any auto-reply marker,
// because MTAs stamp their bounces with `Auto-Submitted: auto-replied` too (Exim, Postfix,
// Exchange), and that must not turn a bounce into an out-of-office.
import type { HeaderValue, ParsedMail, StructuredHeader } from 'mailparser';

export type InboundKind = 'reply' | 'auto_reply' | 'bounce' | 'complaint';

export interface Classification {
  kind: InboundKind;
  /** The signal that decided, for the recorded threading decision. */
  reason: string;
}

export type InboundHeaders = Pick<ParsedMail, 'headers' | 'subject' | 'from'>;

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

/**
 * `envelopeFrom` is the SMTP MAIL FROM as received ('' for the null sender `<>`); without it
 * the topmost Return-Path header stands in for it.
 */
export function classifyInbound(parsed: InboundHeaders, envelopeFrom?: string): Classification {
  const h = parsed.headers;
  const subject = parsed.subject ?? '';
  const contentType = structured(h.get('content-type'));
  const mime = contentType?.value.toLowerCase() ?? '';
  const reportType = mime === 'multipart/report' ? (contentType?.params['report-type'] ?? '').toLowerCase() : '';
  const returnPath = envelopeFrom ?? firstAddress(h.get('return-path'));
  const fromAddress = parsed.from?.value[0]?.address ?? '';

  if (reportType === 'feedback-report') return complaint('multipart/report; report-type=feedback-report (ARF)');
  // Microsoft's JMRP sends its complaints as multipart/mixed with this fixed subject.
  if (/^complaint about message from [\d.:a-fx]+$/i.test(subject.trim())) return complaint('subject: JMRP complaint');

  if (reportType === 'delivery-status') return bounce('multipart/report; report-type=delivery-status (RFC 3464)');
  if (mime === 'message/delivery-status') return bounce('message/delivery-status');
  if (h.has('x-failed-recipients')) return bounce('X-Failed-Recipients');
  const automatedSender = DAEMON_LOCAL_PART.exec(localPart(fromAddress))?.[0].toLowerCase() ?? (fromAddress === '' ? 'null or missing From' : returnPath === '' ? 'null Return-Path' : null);
  if (automatedSender && BOUNCE_SUBJECT.test(subject)) return bounce(`bounce subject from ${automatedSender}`);

  if (reportType === 'disposition-notification') return autoReply('read receipt (report-type=disposition-notification)');
  const autoSubmitted = texts(h.get('auto-submitted')).map(token).find((v) => v !== '' && v !== 'no');
  if (autoSubmitted) return autoReply(`Auto-Submitted: ${autoSubmitted}`);
  for (const name of ['X-Autoreply', 'X-Autorespond']) {
    if (texts(h.get(name.toLowerCase())).some((v) => !/^(?:no|false|0)?$/i.test(v.trim()))) return autoReply(name);
  }
  const challenge = CHALLENGE_RESPONSE_HEADERS.find((name) => h.has(name));
  if (challenge) return autoReply(`challenge-response (${challenge})`);
  if (AUTO_REPLY_SUBJECT.some((re) => re.test(subject))) return autoReply('subject: out-of-office marker');

  // Precedence is added in transit by mailing lists and forwarders (real replies in our
  // fixtures carry `Precedence: bulk`), and Outlook sets X-Auto-Response-Suppress on some
  // ordinary mail (meeting responses, add-ins, transport rules), so neither decides alone. Both
  // count with the null reverse path that RFC 3834 §3.3 asks responders to send from: a person
  // writing back always has an address to be answered at.
  if (returnPath === '') {
    const precedence = texts(h.get('precedence')).map(token).find((v) => LIST_PRECEDENCE.has(v));
    if (precedence) return autoReply(`null Return-Path with Precedence: ${precedence}`);
    if (h.has('x-auto-response-suppress')) return autoReply('null Return-Path with X-Auto-Response-Suppress');
  }

  return { kind: 'reply', reason: 'no automated-mail signal' };
}

const complaint = (reason: string): Classification => ({ kind: 'complaint', reason });
const bounce = (reason: string): Classification => ({ kind: 'bounce', reason });
const autoReply = (reason: string): Classification => ({ kind: 'auto_reply', reason });

function texts(v: HeaderValue | undefined): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

// "auto-generated (failure)" → "auto-generated"; "Bulk" → "bulk".
const token = (v: string) => v.trim().split(/[\s;(]/)[0]!.toLowerCase();

function structured(v: HeaderValue | undefined): StructuredHeader | null {
  return v && typeof v === 'object' && !Array.isArray(v) && 'value' in v && 'params' in v && typeof v.value === 'string' ? (v as StructuredHeader) : null;
}

/** The first address of an address header: '' for `<>`, undefined when the header is absent. */
function firstAddress(v: HeaderValue | undefined): string | undefined {
  const first = Array.isArray(v) ? v[0] : v;
  if (!first || typeof first !== 'object' || !('value' in first) || !Array.isArray(first.value)) return undefined;
  return first.value[0]?.address ?? '';
}

const localPart = (address: string) => (address.includes('@') ? address.slice(0, address.lastIndexOf('@')) : address);
