// Bounds on the work one inbound message may cause. Every stage that reads a customer's bytes
// reads at most this much, so even a hostile message is quick in-line; in inbound threads a
// time limit (preparer.ts) stops whatever the size bounds did not foresee.

export const INBOUND_LIMITS = {
  /** HTML longer than this is not converted to text by mailparser (its `textConversionError`). */
  htmlToTextChars: 256 * 1024,
  /** The header block read when the body is not: the fields threading and the quarantine show. */
  headBytes: 64 * 1024,
  /**
   * The start of a message that is parsed (text, HTML, reply text, classification); the rest is
   * kept and authenticated but not read for text. A reply's own words come first, attachments
   * after them.
   */
  parseBytes: 512 * 1024,
} as const;

/** A stage of the inbound path that was not run (or not to its end) on a message, and why. */
export interface Skipped {
  stage: string;
  reason: string;
}

/**
 * The message's header block (up to its first empty line), at most INBOUND_LIMITS.headBytes
 * and cut at a line end, followed by an empty body.
 */
export function headBlock(raw: Buffer): Buffer {
  const window = raw.subarray(0, INBOUND_LIMITS.headBytes);
  const end = headerEnd(window);
  if (end >= 0) return Buffer.concat([window.subarray(0, end), Buffer.from('\r\n\r\n')]);
  // No end in sight: keep the whole lines (a cut header line would be read as a different value).
  const lastLine = window.lastIndexOf('\n');
  return Buffer.concat([window.subarray(0, Math.max(lastLine, 0)), Buffer.from('\r\n\r\n')]);
}

/** Where the header block ends in `raw` (its empty line), or -1 when it does not end there. */
export function headerEnd(raw: Buffer): number {
  const ends = [raw.indexOf('\r\n\r\n'), raw.indexOf('\n\n')].filter((i) => i >= 0);
  return ends.length ? Math.min(...ends) : -1;
}
