import { addressProblem, displayNameProblem } from '../mail/address.js';

// Who wrote an inbound message, read once and strictly: the address every authentication rule
// decides on (the one DMARC evaluated, RFC 7489 §6.6.1) and the name agents are shown. Parsers
// disagree about a message with several From fields, several mailboxes, a group or loose syntax
// (mailparser reads the first From field, mailauth every mailbox of every From field), and an
// attacker picks the disagreement: such a message has no author we can vouch for.

export type Author = { address: string; name: string | null; problem: null } | { address: null; name: null; problem: string };

/** A mailbox as mailparser read the From field (its decoded display name is what we show). */
export interface ParsedMailbox {
  address?: string;
  name?: string;
  group?: unknown[];
}

const ambiguous = (problem: string): Author => ({ address: null, name: null, problem });

/**
 * The author from the raw header block. `parsed`: mailparser's reading of the From field, used
 * only for the display name and only when it found the same single mailbox.
 */
export function readAuthor(raw: Buffer, parsed: ParsedMailbox[] | undefined): Author {
  const fields = fromFields(raw);
  if (fields.length === 0) return ambiguous('the message has no From field');
  if (fields.length > 1) return ambiguous(`the message has ${fields.length} From fields`);
  const mailbox = parseMailbox(fields[0]!);
  if ('problem' in mailbox) return ambiguous(`its From field ${mailbox.problem}`);
  const address = mailbox.address.toLowerCase();
  const same = parsed?.length === 1 && !parsed[0]!.group && parsed[0]!.address?.toLowerCase() === address;
  return { address, name: same ? cleanName(parsed[0]!.name) : null, problem: null };
}

/**
 * The author as the DMARC check saw it too: `dmarcFrom` is the single From address mailauth
 * evaluated (null when it found none or several). Undefined only for records stored before it
 * was kept, which are then taken as read.
 */
export function settleAuthor(author: Author, dmarcFrom: string | null | undefined): Author {
  if (author.problem !== null || dmarcFrom === undefined) return author;
  if (dmarcFrom === null) return ambiguous('the DMARC check found no single From address');
  if (dmarcFrom.toLowerCase() !== author.address) return ambiguous(`the DMARC check read its From address as ${dmarcFrom}, not ${author.address}`);
  return author;
}

/**
 * The address a message is filed under (the customer of a conversation it starts). Without an
 * author that is the envelope sender SPF checked, never a guess from the From field.
 */
export const filedAddress = (author: Author, envelopeFrom: string) => author.address ?? (envelopeFrom.toLowerCase() || 'unknown@invalid');

// The header block ends where mailauth ends it: at the first empty line, bare LF or CRLF.
function headerBlock(raw: Buffer): string {
  const ends = [raw.indexOf('\n\n'), raw.indexOf('\n\r\n')].filter((i) => i >= 0);
  return raw.subarray(0, ends.length ? Math.min(...ends) + 1 : raw.length).toString('latin1');
}

/**
 * The value of every field whose name is From in any spelling: any case, and with whitespace
 * before the colon (`From :`), which mailauth and mailparser both take for From. Lines are
 * unfolded as mailauth unfolds them.
 */
function fromFields(raw: Buffer): string[] {
  const fields: string[] = [];
  for (const line of headerBlock(raw)
    .replace(/[\r\n]+$/, '')
    .split(/\r?\n/)) {
    if (/^\s/.test(line) && fields.length) fields[fields.length - 1] += `\r\n${line}`;
    else fields.push(line);
  }
  return fields.filter((f) => /^[^:]+/.exec(f)?.[0].trim().toLowerCase() === 'from').map((f) => f.slice(f.indexOf(':') + 1));
}

type Mailbox = { address: string } | { problem: string };

/**
 * One RFC 5322 mailbox, strictly: `addr-spec` or `[phrase] <addr-spec>`, comments allowed
 * around it; no list, no group, nothing after the address, no control characters, and the
 * address itself as threadline's own address rules accept it.
 */
function parseMailbox(value: string): Mailbox {
  const unfolded = value.replace(/\r\n(?=[ \t])/g, '');
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(unfolded)) return { problem: 'holds a control character' };
  // The field with quoted strings reduced to `"` and comments to a space: what is left is the
  // structure, where every special character means what RFC 5322 says.
  let shape = '';
  for (let i = 0; i < unfolded.length; i++) {
    const c = unfolded[i]!;
    if (c === '"' || c === '(') {
      const end = c === '"' ? quotedEnd(unfolded, i) : commentEnd(unfolded, i);
      if (end < 0) return { problem: `has an unclosed ${c === '"' ? 'quoted string' : 'comment'}` };
      shape += c === '"' ? '"' : ' ';
      i = end;
    } else {
      shape += c;
    }
  }
  if (shape.includes(',')) return { problem: 'lists more than one mailbox' };
  if (/[:;]/.test(shape)) return { problem: 'uses group syntax' };
  if (/[)[\]\\]/.test(shape)) return { problem: 'does not parse as one mailbox' };
  const open = shape.split('<').length - 1;
  const close = shape.split('>').length - 1;
  if (open === 0 && close === 0) return addrSpec(shape.trim());
  if (open !== 1 || close !== 1 || shape.indexOf('<') > shape.indexOf('>')) return { problem: 'does not hold exactly one <address>' };
  const [phrase, rest] = [shape.slice(0, shape.indexOf('<')), shape.slice(shape.indexOf('<') + 1)];
  const [inside, after] = [rest.slice(0, rest.indexOf('>')), rest.slice(rest.indexOf('>') + 1)];
  if (after.trim()) return { problem: 'has text after the <address>' };
  // A display name is words (atoms, quoted strings, and the dots obs-phrase allows); an `@`
  // outside quotes there is a second address in disguise.
  if (!/^[\sA-Za-z0-9!#$%&'*+/=?^_`{|}~.\u0080-\u00ff"-]*$/.test(phrase)) return { problem: 'has a display name that is not a phrase' };
  return addrSpec(inside.trim());
}

function addrSpec(spec: string): Mailbox {
  if (spec.includes('"')) return { problem: 'has a quoted local part' };
  if (/\s/.test(spec)) return { problem: 'does not hold one address' };
  const problem = addressProblem(spec);
  return problem ? { problem: `has an address that ${problem}` } : { address: spec };
}

/** Index of the closing quote of the quoted string opening at `start`, or -1. */
function quotedEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/** Index of the parenthesis closing the (possibly nested) comment opening at `start`, or -1. */
function commentEnd(s: string, start: number): number {
  let depth = 0;
  for (let i = start; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

// Characters that change how a name reads without being seen: controls, zero-width and
// direction overrides (an agent must not be shown text that renders as something else).
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** The display name agents see, or null when it would pass for an address. */
function cleanName(name: string | undefined): string | null {
  const n = (name ?? '').replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
  return n && !/[@<>]/.test(n) && !displayNameProblem(n) ? n : null;
}
