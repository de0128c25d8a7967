import { createHash } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { lazy } from '../lazy.js';
import { parseIdList } from '../threading/signals.js';
import { type Author, readAuthor } from './author.js';
import { classifyInbound } from './classify.js';
import { headBlock, headerEnd, INBOUND_LIMITS, type Skipped } from './limits.js';
import { bufferSource, type RawSource } from './spool.js';

// mailparser, html-to-text and the reply parser are loaded on first use: in the inbound threads
// that is their warm-up; the main thread, which examines in-line only in tests and on a
// quarantine release, never carries them otherwise.
const loadMailStack = lazy(async () => {
  const [{ simpleParser }, { extractReplyText }] = await Promise.all([import('mailparser'), import('./reply-text.js')]);
  return { simpleParser, extractReplyText };
});

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
  /** The stages that were not run, or not to the end, on this message's bytes, and why. */
  skipped: Skipped[];
  /** Why the message could not be parsed; its fields then come from its header block alone. */
  unparseable: string | null;
}

/** A message as the SMTP session delivered it to one organization. */
export interface Delivery {
  raw: RawSource;
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
// `body`: the digest of a body that was only partly parsed (its text is then not all of it).
export function contentHash(parsed: ParsedMail, body: string | null = null): string {
  const h = createHash('sha256');
  for (const name of ['message-id', 'from', 'to', 'cc', 'date', 'subject']) h.update(`${name}:${headerText(parsed, name)}\n`);
  h.update(parsed.text ?? '')
    .update('\0')
    .update(typeof parsed.html === 'string' ? parsed.html : '');
  for (const a of parsed.attachments) h.update('\0').update(a.checksum ?? '');
  if (body !== null) h.update('\0').update(body);
  return h.digest('hex');
}

/** SHA-256 of everything after the header block, read a piece at a time. */
async function bodyDigest(src: RawSource, head: Buffer): Promise<string> {
  let skip = Math.max(0, headerEnd(head));
  const h = createHash('sha256');
  for await (const chunk of src.stream()) {
    const c = chunk as Buffer;
    if (skip >= c.length) skip -= c.length;
    else {
      h.update(c.subarray(skip));
      skip = 0;
    }
  }
  return h.digest('hex');
}

/** Stage names as the worker thread reports them (see preparer.ts) and records skip. */
export type Stage = 'parse' | 'reply-text' | 'authentication';

const PARSE_OPTIONS = { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, maxHtmlLengthToParse: INBOUND_LIMITS.htmlToTextChars } as const;

/**
 * Parses, classifies and extracts the reply text. Never throws for the message's own sake: mail
 * mailparser refuses (too many parts, a header block too large) comes back `unparseable`, read
 * from its header block alone, so it can be kept rather than refused over and over.
 */
export async function prepare(message: Buffer | RawSource, envelopeFrom: string, stage: (s: Stage) => void = () => {}): Promise<Prepared> {
  stage('parse');
  const src = Buffer.isBuffer(message) ? bufferSource(message) : message;
  // Only the start of a large message is parsed: its text and HTML are what that start holds.
  const raw = await src.head(INBOUND_LIMITS.parseBytes);
  const partial = src.size > raw.length;
  // A header block that does not end within the part read cannot be read (as mailparser refuses one too large).
  if (partial && headerEnd(raw) < 0) {
    const why = `header size over ${raw.length} bytes`;
    return prepareHeaders(raw, envelopeFrom, [{ stage: 'parse', reason: why }], why);
  }
  const { simpleParser, extractReplyText } = await loadMailStack();
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, PARSE_OPTIONS);
  } catch (err) {
    return prepareHeaders(raw, envelopeFrom, [{ stage: 'parse', reason: (err as Error).message }], (err as Error).message);
  }
  const skipped: Skipped[] = partial ? [{ stage: 'parse', reason: `the message is ${src.size} bytes: its text was read from the first ${raw.length}` }] : [];
  const body = partial ? await bodyDigest(src, raw) : null;
  const html = typeof parsed.html === 'string' ? parsed.html : null;
  // mailparser leaves HTML it will not convert (too long, nested too deep) out of `text` and says
  // why; the same markup would hold up html-to-text here just as long.
  const unconvertible = parsed.textConversionError?.message ?? null;
  let replyText: string | null = null;
  if (unconvertible !== null && !parsed.text?.trim()) {
    skipped.push({ stage: 'reply-text', reason: `HTML not converted to text: ${unconvertible}` });
  } else {
    stage('reply-text');
    replyText = extractReplyText({ text: parsed.text ?? null, html }).text;
  }
  return fromParsed(raw, parsed, envelopeFrom, { text: parsed.text ?? null, html, replyText, skipped, unparseable: null }, body);
}

/**
 * What the header block alone says, for a message whose body was not read: it could not be
 * parsed, or reading it ran out of time. Reads at most INBOUND_LIMITS.headBytes, so it is quick
 * whatever the message holds.
 */
export async function prepareHeaders(raw: Buffer, envelopeFrom: string, skipped: Skipped[], unparseable: string | null): Promise<Prepared> {
  const { simpleParser } = await loadMailStack();
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(headBlock(raw), PARSE_OPTIONS);
  } catch {
    parsed = await simpleParser(Buffer.from('\r\n'), PARSE_OPTIONS);
  }
  return fromParsed(raw, parsed, envelopeFrom, { text: null, html: null, replyText: null, skipped, unparseable });
}

function fromParsed(
  raw: Buffer,
  parsed: ParsedMail,
  envelopeFrom: string,
  body: Pick<Prepared, 'text' | 'html' | 'replyText' | 'skipped' | 'unparseable'>,
  digest: string | null = null,
): Prepared {
  const hash = contentHash(parsed, digest);
  const replyTo = parsed.replyTo?.value[0];
  return {
    subject: parsed.subject ?? null,
    inReplyTo: parsed.inReplyTo ?? null,
    replyTo: { email: replyTo?.address ?? null, name: replyTo?.name || null },
    kind: classifyInbound(parsed, envelopeFrom),
    ...body,
    hash,
    messageIdHeader: parsed.messageId ? parsed.messageId.replace(/^<|>$/g, '') : `${hash.slice(0, 32)}@missing-message-id.invalid`,
    author: readAuthor(raw, parsed.from?.value),
    references: parseIdList(parsed.references ?? null),
    threadIndex: headerText(parsed, 'thread-index') || null,
    threadTopic: headerText(parsed, 'thread-topic') || null,
  };
}
