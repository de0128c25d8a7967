import { describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.js';
import { bounceAddress, deriveTokenKeys, messageIdHeader, parseMessageIdHeader, parseReplyAddress, replyAddress, verifyBounceAddress } from '../../src/mail/tokens.js';

const keys = deriveTokenKeys(Buffer.from('unit-test-secret-0123456789abcdef0123'));
const other = deriveTokenKeys(Buffer.from('another-secret-0123456789abcdef01234567'));

describe('reply tokens', () => {
  const id = newId();
  const addr = replyAddress(keys, id, 'replies.example.com');

  it('round-trips, fits a local part, and survives case folding', () => {
    expect(addr.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(parseReplyAddress(keys, addr)).toBe(id);
    expect(parseReplyAddress(keys, addr.toUpperCase())).toBe(id);
  });

  it('rejects a token signed with another key, a changed id, or a truncated signature', () => {
    expect(parseReplyAddress(other, addr)).toBeNull();
    const swapped = addr.replace(/^reply\+(.)/, (_m, c: string) => `reply+${c === 'a' ? 'b' : 'a'}`);
    expect(parseReplyAddress(keys, swapped)).toBeNull();
    expect(
      parseReplyAddress(
        keys,
        addr.replace(/-([0-9a-f]{16})@/, (_m, sig: string) => `-${sig.slice(0, 15)}@`),
      ),
    ).toBeNull();
    expect(parseReplyAddress(keys, 'support@replies.example.com')).toBeNull();
  });
});

describe('Message-IDs', () => {
  it('round-trip with or without angle brackets, bound to the sender domain', () => {
    const id = newId();
    const h = messageIdHeader(keys, id, 'Notify.Example.com');
    expect(h.endsWith('@notify.example.com')).toBe(true);
    expect(parseMessageIdHeader(keys, h)).toBe(id);
    expect(parseMessageIdHeader(keys, `<${h}>`)).toBe(id);
    expect(parseMessageIdHeader(keys, h.replace('notify.example.com', 'evil.example.com'))).toBeNull();
    expect(parseMessageIdHeader(other, h)).toBeNull();
    expect(parseMessageIdHeader(keys, '<CAKx=abc@mail.gmail.com>')).toBeNull();
  });
});

describe('bounce (VERP) addresses', () => {
  const id = newId();
  const addr = bounceAddress(keys, id, 'Notify.Example.com');

  it('round-trip, fit a local part, are bound to the sender domain and survive case folding', () => {
    expect(addr).toMatch(/^bounces\+[0-9a-f]{32}-[0-9a-f]{16}@notify\.example\.com$/);
    expect(addr.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(verifyBounceAddress(keys, addr)).toBe(id);
    expect(verifyBounceAddress(keys, addr.toUpperCase())).toBe(id);
  });

  it('rejects forged, altered, moved and foreign addresses', () => {
    expect(verifyBounceAddress(other, addr)).toBeNull();
    const altered = addr.replace(/^bounces\+(.)/, (_m, c: string) => `bounces+${c === 'a' ? 'b' : 'a'}`);
    expect(verifyBounceAddress(keys, altered)).toBeNull();
    expect(
      verifyBounceAddress(
        keys,
        addr.replace(/-([0-9a-f]{16})@/, (_m, sig: string) => `-${sig.slice(0, 15)}@`),
      ),
    ).toBeNull();
    expect(verifyBounceAddress(keys, addr.replace('@notify.example.com', '@other.example.com'))).toBeNull();
    // A reply token is signed with another key: it does not pass as a bounce address.
    const reply = replyAddress(keys, id, 'notify.example.com');
    expect(verifyBounceAddress(keys, reply.replace(/^reply\+/, 'bounces+'))).toBeNull();
    expect(verifyBounceAddress(keys, 'bounces@notify.example.com')).toBeNull();
    expect(verifyBounceAddress(keys, `${addr}@x`)).toBeNull();
  });
});

describe('newId', () => {
  it('makes UUIDv7 ids that sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newId(1_800_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
