// The "base subject" (RFC 5256 §2.1, extended with the prefixes real clients use in other
// languages): what is left when reply and forward markers and list tags are taken off.
// Re, Fwd/Fw (English), AW/WG (German), SV/VS (Nordic), R/I/RIF (Italian), TR (French),
// Antw (Dutch), Odp/PD (Polish), each possibly counted ("Re[2]:") and repeated.
const PREFIX = /^\s*((re|fwd?|aw|wg|sv|vs|r|i|rif|tr|antw|odp|pd)(\[\d+\]|\(\d+\))?\s*:|\[[^\]]*\])\s*/i;

/** The subject without reply/forward markers and tags, case kept (Outlook's Thread-Topic). */
export function stripReplyPrefixes(subject: string | null | undefined): string {
  let s = (subject ?? '').replace(/\s+/g, ' ').trim();
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s
      .replace(PREFIX, '')
      .replace(/\s*\((fwd|fw)\)\s*$/i, '')
      .trim();
  }
  return s;
}

export function baseSubject(subject: string | null | undefined): string {
  return stripReplyPrefixes(subject).toLowerCase();
}

/** `Re: <subject>` without stacking prefixes. */
export function replySubject(subject: string | null | undefined): string {
  const s = (subject ?? '').trim();
  return /^re\s*:/i.test(s) ? s : `Re: ${s}`;
}
