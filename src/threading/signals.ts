import { parseReplyAddress, type TokenKeys } from '../mail/tokens.js';
import { threadIndexRoot } from './thread-index.js';

// The evidence an inbound message carries about what it answers, strongest first:
// (a) our signed reply token in a recipient address, (b) In-Reply-To, (c) References newest
// first, (d) Outlook's Thread-Index conversation key.

export type Signal = 'reply-token' | 'in-reply-to' | 'references' | 'thread-index';

export interface Candidate {
  signal: Signal;
  /** What the message said (an address, a Message-ID, a Thread-Index key). */
  value: string;
  /** For a reply token: the message id it names, or null when its signature does not verify. */
  messageId?: string | null;
}

export interface ThreadingHeaders {
  recipients: string[];
  inReplyTo: string | null;
  references: string[];
  threadIndex: string | null;
}

const stripId = (id: string) => id.trim().replace(/^<|>$/g, '').trim();

/** Message-IDs from a header value, in order, without brackets; junk between them is ignored. */
export function parseIdList(value: string | string[] | null | undefined): string[] {
  if (!value) return [];
  const text = Array.isArray(value) ? value.join(' ') : value;
  const ids = text.match(/<[^<>\s]+>/g);
  if (ids) return ids.map(stripId).filter((id) => id.includes('@'));
  // Some clients omit the brackets.
  return text
    .split(/[\s,]+/)
    .map(stripId)
    .filter((id) => /^[^@\s]+@[^@\s]+$/.test(id));
}

export function candidates(keys: TokenKeys, h: ThreadingHeaders): Candidate[] {
  const out: Candidate[] = [];
  for (const r of h.recipients) {
    if (/^reply\+/i.test(r)) out.push({ signal: 'reply-token', value: r, messageId: parseReplyAddress(keys, r) });
  }
  const irt = h.inReplyTo ? parseIdList(h.inReplyTo)[0] : undefined;
  if (irt) out.push({ signal: 'in-reply-to', value: irt });
  for (const ref of [...h.references].reverse()) {
    if (ref !== irt) out.push({ signal: 'references', value: ref });
  }
  const root = threadIndexRoot(h.threadIndex);
  if (root) out.push({ signal: 'thread-index', value: root });
  return out;
}
