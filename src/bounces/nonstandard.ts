import { messageIdOf, readFields } from './fields.js';
import { statusIn } from './reason.js';

// Bounces written for people (qmail, Exim, Postfix's and Sendmail's older notices, Exchange
// 2003, Domino, Gmail's and Yahoo's text bounces...): no fields to read, so the notice is read
// as prose. The notice comes first; a copy of the returned message follows a separator line
// that each MTA words its own way.

export interface ScrapedRecipient {
  recipient: string | null;
  action: 'failed' | 'delayed';
  status: string | null;
  diagnostic: string | null;
}

export interface Scraped {
  recipients: ScrapedRecipient[];
  /** The whole notice: the text reasons are looked for in when a recipient's own says nothing. */
  notice: string;
  /** The Message-ID of the returned message, from its quoted header, or null. */
  originalMessageId: string | null;
}

// Lines that start the copy of the returned message.
const SEPARATOR =
  /^[ \t=_*-]*(?:below this line is a copy|this is a copy of the message|(?:the )?header of the original message|original message[ \t-]*$|original message (?:follows|headers)|undelivered message headers|message header follows|returned message|mensaje original|below is a copy of the original message|unsent message below)/im;
// A header block at a line start (a copy pasted without a separator line).
const QUOTED_HEADER = /^(?:return-path|received|message-id|dkim-signature|domainkey-signature)[ \t]*:/im;

// Addresses are found from each @ outwards, within the lengths RFC 5321 allows: a pattern run
// over the whole text would backtrack over every long run of address characters.
const LOCAL_PART = /[A-Za-z0-9._%+=!#$&'*/?^`{|}~-]{1,64}$/;
const DOMAIN = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*/;
const MAX_ADDRESSES = 1000;

function* addresses(text: string): Generator<{ address: string; index: number }> {
  let n = 0;
  for (let at = text.indexOf('@'); at >= 0 && n < MAX_ADDRESSES; at = text.indexOf('@', at + 1)) {
    const local = LOCAL_PART.exec(text.slice(Math.max(0, at - 64), at))?.[0].replace(/^[._-]+/, '');
    const labels = (DOMAIN.exec(text.slice(at + 1, at + 256))?.[0] ?? '').split('.');
    // The top-level label is letters: "a@b.com.123" is a@b.com.
    while (labels.length > 1 && !/^[A-Za-z]+$/.test(labels.at(-1)!)) labels.pop();
    if (!local || labels.length < 2) continue;
    n++;
    yield { address: `${local}@${labels.join('.')}`, index: at - local.length };
  }
}
// Addresses that are not the failed recipient: the sender, the daemon, an alias it came from.
const NOT_RECIPIENT_BEFORE = /(?:sent by|generated from|expanded from|envelope-from|from:?|contact|please send mail to)\s*[<"(]*$/i;
const QUOTED_LINE = /^\s*(?:to|cc|from|sent|subject|date)\s*:/i;
const DAEMON = /^(?:mailer-daemon|postmaster|post_master|noreply|no-reply|support|abuse)@/i;

const DELAY =
  /\bdelayed\b|has not yet been delivered|not been delivered yet|still being retried|will be retried|will continue|warning only|is a warning|delivery (?:status notification )?\(delay\)/i;

const REASON_LINE = /\(reason: ([^)\n]+)\)/i;
const CODE_LINE = /^.*(?:\b[245]\.\d{1,3}\.\d{1,3}\b|\b[45]\d\d[ -]).*$/m;

/**
 * `exclude` lists addresses that are ours (the envelope recipient, the report's From), never
 * failed recipients; `named` the ones the report names in a header (Exim's X-Failed-Recipients),
 * taken over the notice's guesses. Reads `text` as given: the caller bounds its length.
 */
export function scrapeBounce(text: string, subject: string, exclude: string[], named: string[] = []): Scraped {
  const cut = firstMatch(text, [SEPARATOR, QUOTED_HEADER]);
  const notice = (cut === null ? text : text.slice(0, cut)).trim();
  const quoted = cut === null ? '' : text.slice(cut);
  const excluded = new Set(exclude.map((a) => a.toLowerCase()));
  const found: Array<{ address: string; at: number }> = [];
  for (const m of addresses(notice)) {
    const { address } = m;
    const key = address.toLowerCase();
    if (excluded.has(key) || DAEMON.test(address) || found.some((f) => f.address.toLowerCase() === key)) continue;
    if (NOT_RECIPIENT_BEFORE.test(notice.slice(Math.max(m.index - 40, 0), m.index))) continue;
    // A header line of the returned message quoted inside the notice (Exchange: "To: …").
    if (QUOTED_LINE.test(notice.slice(notice.lastIndexOf('\n', m.index) + 1, m.index))) continue;
    found.push({ address, at: m.index });
  }
  if (named.length) {
    const wanted = new Set(named.map((a) => a.toLowerCase()));
    const kept = found.filter((f) => wanted.has(f.address.toLowerCase()));
    found.splice(0, found.length, ...kept);
    for (const a of named) if (!kept.some((f) => f.address.toLowerCase() === a.toLowerCase())) found.push({ address: a, at: notice.length });
  }
  const action = DELAY.test(notice) || DELAY.test(subject) ? 'delayed' : 'failed';
  const segments = found.length ? found.map((f, i) => ({ recipient: f.address, text: notice.slice(f.at, found[i + 1]?.at ?? notice.length) })) : [{ recipient: null, text: notice }];
  const recipients = segments.map(({ recipient, text: own }) => {
    const source = statusIn(own) || REASON_LINE.test(own) || CODE_LINE.test(own) ? own : notice;
    return { recipient, action, status: statusIn(source), diagnostic: diagnosticOf(source) } satisfies ScrapedRecipient;
  });
  return { recipients, notice, originalMessageId: quotedMessageId(quoted || text) };
}

function firstMatch(text: string, patterns: RegExp[]): number | null {
  const at = patterns.map((re) => re.exec(text)?.index).filter((i): i is number => i !== undefined);
  return at.length ? Math.min(...at) : null;
}

// The most telling line: Sendmail's "(reason: …)", else the lines around a status or reply code,
// else the notice itself; whitespace folded, at most 1,000 characters.
function diagnosticOf(text: string): string | null {
  const reason = REASON_LINE.exec(text)?.[1];
  const code = CODE_LINE.exec(text);
  let out = reason ?? text;
  if (!reason && code) {
    const before = text.lastIndexOf('\n', Math.max(0, code.index - 1));
    out = text.slice(Math.max(before, 0), code.index + code[0].length);
  }
  const folded = out.replace(/\s+/g, ' ').trim().slice(0, 1000);
  return folded === '' ? null : folded;
}

/** The Message-ID of the first quoted header block in `text`. */
export function quotedMessageId(text: string): string | null {
  const at = /^message-id[ \t]*:/im.exec(text)?.index;
  if (at === undefined) return null;
  return messageIdOf(readFields(text.slice(at, at + 2000), true).slice(0, 1));
}
