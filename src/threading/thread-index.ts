import { randomBytes } from 'node:crypto';

// Outlook's Thread-Index ([MS-OXOMSG] 2.2.1.3): a 22-byte header block (the top six bytes of
// a FILETIME and a 16-byte conversation GUID) followed by a 5-byte block per reply. Outlook
// threads by the header block, so it is what identifies a conversation when a client drops
// In-Reply-To and References.

const HEADER = 22;
const CHILD = 5;
const EPOCH_DIFF_MS = 11_644_473_600_000n; // 1601-01-01 to 1970-01-01

const filetime = (ms: number) => (BigInt(ms) + EPOCH_DIFF_MS) * 10_000n;

/** The conversation key (base64 of the header block), or null if the value is not a Thread-Index. */
export function threadIndexRoot(value: string | null | undefined): string | null {
  if (!value) return null;
  const bytes = Buffer.from(value.trim(), 'base64');
  if (bytes.length < HEADER || (bytes.length - HEADER) % CHILD !== 0) return null;
  return bytes.subarray(0, HEADER).toString('base64');
}

export function newThreadIndex(nowMs: number): string {
  const b = Buffer.alloc(HEADER);
  const ft = filetime(nowMs) >> 16n;
  b.writeUIntBE(Number(ft & 0xffffffffffffn), 0, 6);
  randomBytes(16).copy(b, 6);
  return b.toString('base64');
}

/** The parent's Thread-Index with one child block for a reply made at `nowMs`. */
export function childThreadIndex(parent: string, nowMs: number): string {
  const bytes = Buffer.from(parent, 'base64');
  if (threadIndexRoot(parent) === null) return newThreadIndex(nowMs);
  const parentFt = BigInt(bytes.readUIntBE(0, 6)) << 16n;
  let diff = filetime(nowMs) - parentFt;
  if (diff < 0n) diff = 0n;
  // Code bit 0: the difference in units of 2^18 FILETIME ticks; 1: in units of 2^23 (long gaps).
  const small = diff < 1n << 49n;
  const units = Number((small ? diff >> 18n : diff >> 23n) & 0x7fffffffn);
  const block = Buffer.alloc(CHILD);
  block.writeUInt32BE(((small ? 0 : 0x80000000) | units) >>> 0, 0);
  block[4] = randomBytes(1)[0]! & 0xf0;
  return Buffer.concat([bytes, block]).toString('base64');
}
