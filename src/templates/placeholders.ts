// The placeholder language of outbound templates. Deliberately no logic (no conditionals, loops
// or filters, as Liquid has): templates are written by tenants, and a single left-to-right
// substitution cannot run code, cannot loop and costs time linear in the template's size. Pure.
//
//   {Key}                 a value: CustomerName, CaseName or any key of the contact's contextitems
//   {Key|default text}    the same, with the text to use when the contact has no value
//   {Field{Entity}}       a Dynamics 365 slug, e.g. {FullName{Customer}} (see SLUG_ALIASES)
//   {{  }}                a literal brace
// A `{` followed by anything but a letter or `_` (a CSS rule's `{ color: red }`) is literal text.
// Keys match case-insensitively (Dynamics treats CustomerName so).

export type Segment = { text: string } | { key: string; fallback: string | null; source: string };

/** Slugs that name a contact's own fields; any other {Field{Entity}} reads the value `Entity.Field`. */
export const SLUG_ALIASES: Record<string, string> = {
  'customer.fullname': 'customername',
  'customer.name': 'customername',
  'contact.fullname': 'customername',
  'customer.email': 'tocontactid',
  'contact.emailaddress1': 'tocontactid',
  'case.title': 'casename',
  'case.name': 'casename',
  'incident.title': 'casename',
};

const IDENT = /[A-Za-z_][A-Za-z0-9_.-]{0,99}/y;
const MAX_DEFAULT = 500;

export class PlaceholderError extends Error {}

/** The key a placeholder reads, lower-cased (slugs resolved to it). */
export function keyOf(name: string, entity: string | null): string {
  if (entity === null) return name.toLowerCase();
  const dotted = `${entity}.${name}`.toLowerCase();
  return SLUG_ALIASES[dotted] ?? dotted;
}

function ident(s: string, at: number): string | null {
  IDENT.lastIndex = at;
  const m = IDENT.exec(s);
  return m ? m[0] : null;
}

/** Splits a template field into text and placeholders; throws PlaceholderError saying where it is invalid. */
export function parse(s: string): Segment[] {
  const out: Segment[] = [];
  let text = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if ((c === '{' || c === '}') && s[i + 1] === c) {
      text += c;
      i += 2;
      continue;
    }
    if (c !== '{' || !/[A-Za-z_]/.test(s[i + 1] ?? '')) {
      text += c;
      i++;
      continue;
    }
    const start = i;
    const name = ident(s, i + 1)!;
    i += 1 + name.length;
    let entity: string | null = null;
    if (s[i] === '{') {
      entity = ident(s, i + 1);
      if (entity === null || s[i + 1 + entity.length] !== '}') throw new PlaceholderError(`the slug at character ${start + 1} must read {Field{Entity}}`);
      i += entity.length + 2;
    }
    let fallback: string | null = null;
    if (s[i] === '|') {
      const end = s.indexOf('}', i);
      const brace = s.indexOf('{', i);
      if (end < 0 || (brace >= 0 && brace < end)) throw new PlaceholderError(`the placeholder at character ${start + 1} is not closed with }`);
      fallback = s.slice(i + 1, end);
      if (fallback.length > MAX_DEFAULT) throw new PlaceholderError(`the default at character ${start + 1} is longer than ${MAX_DEFAULT} characters`);
      i = end;
    }
    if (s[i] !== '}') throw new PlaceholderError(`the placeholder at character ${start + 1} is not closed with } (write {{ for a literal brace)`);
    i++;
    if (text) out.push({ text });
    text = '';
    out.push({ key: keyOf(name, entity), fallback, source: s.slice(start, i) });
  }
  if (text) out.push({ text });
  return out;
}

export type Mode = 'text' | 'html' | 'subject';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (v: string) => v.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
/** A subject is one header line: line breaks in a value become a space, so no value can start a header. */
const oneLine = (v: string) => v.replace(/[\r\n]+/g, ' ');

export class RenderTooLarge extends Error {}

/**
 * Substitutes `values` (keys lower-cased) into parsed segments. Values are escaped for HTML in
 * `html` mode and kept on one line in `subject` mode; a default is template text and is used as
 * written. Keys without a value or default are added to `missing`. Throws RenderTooLarge past
 * `maxChars`, before building a larger string.
 */
export function render(segments: Segment[], values: ReadonlyMap<string, string>, mode: Mode, maxChars: number, missing: Set<string>): string {
  let out = '';
  for (const seg of segments) {
    let piece: string;
    if ('text' in seg) piece = seg.text;
    else {
      const v = values.get(seg.key);
      if (v === undefined && seg.fallback === null) {
        missing.add(seg.source);
        continue;
      }
      piece = v === undefined ? seg.fallback! : mode === 'html' ? escapeHtml(v) : mode === 'subject' ? oneLine(v) : v;
    }
    if (out.length + piece.length > maxChars) throw new RenderTooLarge(`the rendered text is longer than ${maxChars} characters`);
    out += piece;
  }
  return out;
}
