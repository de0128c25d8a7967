import { createHmac, timingSafeEqual } from 'node:crypto';

// Reply tokens and Message-IDs are signed with keys derived from THREADLINE_SECRET, so an
// inbound reply can be tied to the message it answers without trusting anything it says.
// Hex only: some mail systems fold the case of local parts.

const SIG_HEX = 16; // 64 bits: a forger must guess per message, online, through SMTP.

export interface TokenKeys {
  replyKey: Buffer;
  messageIdKey: Buffer;
  bounceKey: Buffer;
}

export function deriveTokenKeys(secret: Buffer): TokenKeys {
  return {
    replyKey: createHmac('sha256', secret).update('threadline reply-token v1').digest(),
    messageIdKey: createHmac('sha256', secret).update('threadline message-id v1').digest(),
    bounceKey: createHmac('sha256', secret).update('threadline bounce-token v1').digest(),
  };
}

const compact = (uuid: string) => uuid.replace(/-/g, '').toLowerCase();
const expand = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

function sign(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex').slice(0, SIG_HEX);
}

function verify(key: Buffer, text: string, sig: string): boolean {
  const expected = Buffer.from(sign(key, text));
  const given = Buffer.from(sig.toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** `reply+<message id>-<sig>@<inbound domain>`: 6 + 32 + 1 + 16 = 55 characters, under 64. */
export function replyAddress(keys: TokenKeys, messageId: string, inboundDomain: string): string {
  const id = compact(messageId);
  return `reply+${id}-${sign(keys.replyKey, id)}@${inboundDomain}`;
}

/** The message id a reply address names, or null if it is not ours or was tampered with. */
export function parseReplyAddress(keys: TokenKeys, address: string): string | null {
  const m = /^reply\+([0-9a-f]{32})-([0-9a-f]{16})@/i.exec(address);
  if (!m) return null;
  const id = m[1]!.toLowerCase();
  return verify(keys.replyKey, id, m[2]!) ? expand(id) : null;
}

/** `<message id>.<sig>@<sender domain>`, without angle brackets. */
export function messageIdHeader(keys: TokenKeys, messageId: string, senderDomain: string): string {
  const id = compact(messageId);
  return `${id}.${sign(keys.messageIdKey, `${id}@${senderDomain.toLowerCase()}`)}@${senderDomain.toLowerCase()}`;
}

/** The message id inside a Message-ID threadline made, or null. */
export function parseMessageIdHeader(keys: TokenKeys, header: string): string | null {
  const m = /^<?([0-9a-f]{32})\.([0-9a-f]{16})@([^>\s]+)>?$/i.exec(header.trim());
  if (!m) return null;
  const id = m[1]!.toLowerCase();
  return verify(keys.messageIdKey, `${id}@${m[3]!.toLowerCase()}`, m[2]!) ? expand(id) : null;
}

/**
 * The envelope sender (VERP) of one message: `bounces+<message id>-<sig>@<sender domain>`, 8 +
 * 32 + 1 + 16 = 57 characters before the `@`. The signature covers the domain, so a bounce
 * address copied to another of our domains does not verify.
 */
export function bounceAddress(keys: TokenKeys, messageId: string, senderDomain: string): string {
  const id = compact(messageId);
  const domain = senderDomain.toLowerCase();
  return `bounces+${id}-${sign(keys.bounceKey, `${id}@${domain}`)}@${domain}`;
}

/** The message id a bounce address names, or null if it is not ours, altered or moved. */
export function verifyBounceAddress(keys: TokenKeys, address: string): string | null {
  const m = /^bounces\+([0-9a-f]{32})-([0-9a-f]{16})@([^@\s]+)$/i.exec(address.trim());
  if (!m) return null;
  const id = m[1]!.toLowerCase();
  return verify(keys.bounceKey, `${id}@${m[3]!.toLowerCase()}`, m[2]!) ? expand(id) : null;
}
