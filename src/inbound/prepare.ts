import { createHash } from 'node:crypto';
import { simpleParser, type ParsedMail } from 'mailparser';
import { parseIdList } from '../threading/signals.js';
import { readAuthor, type Author } from './author.js';
import { classifyInbound } from './classify.js';
import { extractReplyText } from './reply-text.js';

// An inbound message read once: parsed, classified, its reply text extracted and its identity
// hashed. Both the SMTP path and a release from quarantine start here.

/**
 * Everything the message says about itself, read once from the parsed message. Plain data (no
 * ParsedMail): it is made in an inbound thread and posted to the main thread.
 */
export interface Prepared {
  subject: string | null;
  /** The In-Reply-To header as written. */
  inReplyTo: string | null;
  /** Recorded as the message said it; never where an answer goes (see agent-reply.ts). */
  replyTo: { email: string | null; name: string | null };
  kind: ReturnType<typeof classifyInbound>;
  text: string | null;
  html: string | null;
  replyText: string | null;
  hash: string;
  messageIdHeader: string;
  /** Who wrote it (author.ts); settled against the DMARC check once that has run. */
  author: Author;
  references: string[];
  threadIndex: string | null;
  threadTopic: string | null;
}

/** A message as the SMTP session delivered it to one organization. */
export interface Delivery {
  raw: Buffer;
  envelopeFrom: string;
  remoteAddress: string;
  helo: string | null;
  recipients: string[];
  /** The recipient that says the most (see mainRecipient). */
  to: string;
}

/** The reply-token address, when there is one, is the recipient that says the most. */
export const mainRecipient = (recipients: string[]) => recipients.find((r) => /^reply\+/i.test(r)) ?? recipients[0]!;

export const headerText = (parsed: ParsedMail, name: string) => {
  const v = parsed.headers.get(name);
  return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
};

// Trace headers change from one delivery of a message to the next; the rest identifies it.
export function contentHash(parsed: ParsedMail): string {
  const h = createHash('sha256');
  for (const name of ['message-id', 'from', 'to', 'cc', 'date', 'subject']) h.update(`${name}:${headerText(parsed, name)}\n`);
  h.update(parsed.text ?? '').update('\0').update(typeof parsed.html === 'string' ? parsed.html : '');
  for (const a of parsed.attachments) h.update('\0').update(a.checksum ?? '');
  return h.digest('hex');
}

export async function prepare(raw: Buffer, envelopeFrom: string): Promise<Prepared> {
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  const html = typeof parsed.html === 'string' ? parsed.html : null;
  const hash = contentHash(parsed);
  const replyTo = parsed.replyTo?.value[0];
  return {
    subject: parsed.subject ?? null,
    inReplyTo: parsed.inReplyTo ?? null,
    replyTo: { email: replyTo?.address ?? null, name: replyTo?.name || null },
    kind: classifyInbound(parsed, envelopeFrom),
    text: parsed.text ?? null,
    html,
    replyText: extractReplyText({ text: parsed.text ?? null, html }).text,
    hash,
    messageIdHeader: parsed.messageId ? parsed.messageId.replace(/^<|>$/g, '') : `${hash.slice(0, 32)}@missing-message-id.invalid`,
    author: readAuthor(raw, parsed.from?.value),
    references: parseIdList(parsed.references ?? null),
    threadIndex: headerText(parsed, 'thread-index') || null,
    threadTopic: headerText(parsed, 'thread-topic') || null,
  };
}
