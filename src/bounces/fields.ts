// Header-like field blocks (RFC 5322 §2.2 syntax), as RFC 3464 delivery-status and RFC 5965
// feedback-report parts and returned header blocks write them. Tolerant on purpose: reports
// from old MTAs fold oddly, skip blank lines or add them twice.

export interface Field {
  /** Lowercase field name. */
  name: string;
  /** Unfolded value, trimmed. */
  value: string;
}

const FIELD_LINE = /^([!-9;-~]+)[ \t]*:(.*)$/;

/**
 * The fields of `text` in order, unfolded; blank lines are kept as `null` so a caller can see
 * block ends. A line that is neither a field nor a continuation ends the list when `stopAtJunk`
 * is set (the text after a report is prose or a message body).
 */
export function readFields(text: string, stopAtJunk = false): Array<Field | null> {
  const out: Array<Field | null> = [];
  let last: Field | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      out.push(null);
      last = null;
      continue;
    }
    if (/^[ \t]/.test(line) && last) {
      last.value = `${last.value} ${line.trim()}`.trim();
      continue;
    }
    const m = FIELD_LINE.exec(line);
    if (m) {
      last = { name: m[1]!.toLowerCase(), value: m[2]!.trim() };
      out.push(last);
    } else if (stopAtJunk) {
      break;
    } else {
      last = null;
    }
  }
  return out;
}

/** The first value of a field among `fields`, or null. */
export const fieldValue = (fields: Array<Field | null>, name: string): string | null => fields.find((f) => f?.name === name)?.value ?? null;

/** `type/subtype; a=b; c="d"` → lowercase type and lowercase parameter names with their values. */
export function parseContentType(value: string | null | undefined): { type: string; params: Record<string, string> } {
  if (!value) return { type: '', params: {} };
  const [type, ...rest] = splitParams(value);
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0)
      params[p.slice(0, eq).trim().toLowerCase()] = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return { type: (type ?? '').trim().toLowerCase(), params };
}

// Splits on semicolons outside quotes.
function splitParams(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** `rfc822; a@b` → `a@b` (the address type of RFC 3464 §2.3.2 dropped, brackets too). */
export function typedAddress(value: string | null): string | null {
  if (!value) return null;
  const semi = value.indexOf(';');
  const address = (semi >= 0 ? value.slice(semi + 1) : value).trim().replace(/^<|>$/g, '').trim();
  return address === '' ? null : address;
}

/** The Message-ID field of a returned header block, without brackets, or null. */
export function messageIdOf(fields: Array<Field | null>): string | null {
  const v = fieldValue(fields, 'message-id');
  const id = v?.match(/<([^<>\s]+)>/)?.[1] ?? v?.split(/\s/)[0];
  return id?.includes('@') ? id : null;
}
