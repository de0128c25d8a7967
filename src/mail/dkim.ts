import { createHash, createPrivateKey, generateKeyPair, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { foldLines } from 'nodemailer/lib/mime-funcs';
import { TtlCache } from '../cache.js';
import type { Rendered } from './rendered.js';

// DKIM signing (RFC 6376, rsa-sha256, relaxed/relaxed) of the messages threadline composes.
// mailauth's and nodemailer's signers parse the PEM and re-read the message through streams for
// every message, which costs several times the RSA operation itself (README, "Benchmarks").
// Here each private key is parsed once and kept; the header fields come from
// compose.ts as a list instead of being parsed back out of the message; and canonicalization
// is a few regular-expression passes over strings. mailauth's verifier and its streaming
// canonicalizer are the tests' yardstick (test/unit/compose.test.ts).

export interface DkimKey {
  /** The sender domain: ASCII, as registration requires (normalizeDomain). */
  domain: string;
  selector: string;
  /** PKCS#8 PEM. */
  privateKey: string;
}

/** Header fields signed when present. */
const SIGNED = new Set([
  'from',
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'reply-to',
  'in-reply-to',
  'references',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'auto-submitted',
  'thread-index',
  'thread-topic',
]);

/** A new RSA key pair, made off the event loop: finding 2048-bit primes would stall every request. */
export async function generateDkimKeyPair(bits = 2048): Promise<{ publicKey: string; privateKey: string }> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: publicKey.toString('base64'), privateKey };
}

/** The TXT value to publish at `<selector>._domainkey.<domain>`. */
export const dkimRecordValue = (publicKey: string) => `v=DKIM1; k=rsa; p=${publicKey}`;

/** Parsed keys by their PEM text; a rotated key is a new entry. */
const keys = new TtlCache<string, KeyObject>({ max: 1_000, ttlMs: 0 });

function keyObject(k: DkimKey): KeyObject {
  let key = keys.get(k.privateKey);
  if (!key) {
    key = createPrivateKey(k.privateKey);
    keys.set(k.privateKey, key);
  }
  return key;
}

/**
 * RFC 6376 §3.4.4, relaxed body canonicalization: whitespace runs become one space, whitespace
 * at the ends of lines goes, empty lines at the end go, and a non-empty body ends in one CRLF.
 * On the bodies threadline writes (CRLF line breaks, no bare CR or LF) this equals mailauth's
 * streaming RelaxedHash, which reads byte by byte (test/unit/compose.test.ts compares the two).
 */
export function relaxedBody(body: string): string {
  const s = relaxedLines(body).replace(/(?:\r\n)+$/, '');
  return s.length === 0 ? '' : `${s}\r\n`;
}

/**
 * The line-local part of relaxed canonicalization, for whole lines (or the body's end). The
 * second pattern leaves single spaces alone: replacing every space with itself rebuilt the
 * whole text, and a body without runs of whitespace comes back as the same string.
 */
const relaxedLines = (lines: string) => lines.replace(/[ \t]+(?=\r\n|$)/g, '').replace(/\t[ \t]*| [ \t]+/g, ' ');

/** Characters canonicalized at once: a large body is hashed in pieces, not copied whole. */
const SLICE_CHARS = 64 * 1024;

/**
 * The SHA-256 of relaxedBody(body), base64, computed a slice of whole lines at a time: a large
 * body's canonical copies would otherwise each be as large as the body. Empty lines are held
 * back until text follows them, as relaxedBody drops those at the end.
 */
export function relaxedBodyHash(body: string, sliceChars = SLICE_CHARS): string {
  const hash = createHash('sha256');
  let heldBreaks = 0;
  let wrote = false;
  for (let start = 0; start < body.length; ) {
    const cut = start + sliceChars >= body.length ? -1 : body.indexOf('\r\n', start + sliceChars);
    const end = cut === -1 ? body.length : cut + 2;
    const lines = relaxedLines(body.slice(start, end));
    let text = lines.length;
    while (text >= 2 && lines.charCodeAt(text - 1) === 10 && lines.charCodeAt(text - 2) === 13) text -= 2;
    if (text > 0) {
      hash.update('\r\n'.repeat(heldBreaks));
      hash.update(lines.slice(0, text));
      heldBreaks = 0;
      wrote = true;
    }
    heldBreaks += (lines.length - text) / 2;
    start = end;
  }
  if (wrote) hash.update('\r\n');
  return hash.digest('base64');
}

/** RFC 6376 §3.4.2, relaxed header canonicalization of one (folded) field, as mailauth does it. */
const relaxedField = (line: string) =>
  line
    .replace(/\r\n/g, '')
    .replace(/^([^:]*):\s*/, (_m, name: string) => `${name.toLowerCase().trim()}:`)
    .replace(/\s+/g, ' ')
    .trim();

/**
 * The DKIM-Signature header field (folded, without its line break) for a message composed by
 * compose.ts, whose header fields are known without parsing the message again. The tags are
 * written in mailauth's order and folded as it folds them; test/unit/compose.test.ts has
 * mailauth's verifier check the result.
 */
export function dkimSign(message: Rendered, key: DkimKey, now = new Date()): string {
  const signed = message.headers.filter((h) => SIGNED.has(h.name));
  const bodyHash = relaxedBodyHash(message.body);
  const names = signed.map((h) => h.line.slice(0, h.line.indexOf(':'))).join(': ');
  const tags = `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${key.domain}; h=${names}; q=dns/txt; s=${key.selector}; t=${Math.floor(now.getTime() / 1000)}; bh=${bodyHash}; b=`;
  // The field itself is signed last, with an empty b= and without a trailing line break.
  let input = '';
  for (const h of signed) input += `${relaxedField(h.line)}\r\n`;
  input += relaxedField(`DKIM-Signature: ${tags}`);
  const b = sign('rsa-sha256', Buffer.from(input, 'utf8'), keyObject(key)).toString('base64');
  // Spaces every 75 characters give the folding places to break the signature (a verifier drops
  // whitespace inside b=).
  return foldLines(`DKIM-Signature: ${tags}${b.replace(/.{75}/g, '$& ').trim()}`, 76);
}
