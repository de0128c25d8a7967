import { AppError } from '../errors.js';
import { type Contact, ContactSchema, optedIn } from '../outbound-config/contacts.js';
import type { ContactResult } from '../outbound-config/invoke.service.js';

// A CSV row of `threadline send` as a Dynamics contact: the header row names the fields. Pure.

/** The contact fields a column may name; any other column is a placeholder value (contextitems). */
const FIELDS = new Set(Object.keys(ContactSchema.shape).filter((k) => k !== 'contextitems'));

/** The contact of one row, or the problem that makes the row unusable (reported with its line number). */
export function rowToContact(row: Record<string, string>, configurationId: string): { contact: Contact } | { problem: string } {
  const top: Record<string, unknown> = {};
  const context: Record<string, string> = {};
  for (const [k, raw] of Object.entries(row)) {
    const v = raw.trim();
    if (v === '') continue;
    if (FIELDS.has(k)) top[k] = v;
    else context[k] = v;
  }
  if (top.tocontactid === undefined) return { problem: 'no tocontactid' };
  const parsed = ContactSchema.safeParse({ ...top, ...(Object.keys(context).length ? { contextitems: context } : {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { problem: `${issue.path.join('.') || 'row'}: ${issue.message}` };
  }
  const contact = parsed.data;
  // What would refuse the whole batch (checkContactList, optedIn) is this row's problem instead.
  if (contact.msdyn_ocoutboundconfigurationid !== undefined && contact.msdyn_ocoutboundconfigurationid.toLowerCase() !== configurationId.toLowerCase()) {
    return { problem: 'msdyn_ocoutboundconfigurationid names another configuration' };
  }
  if (Object.keys(context).length > 100) return { problem: 'more than 100 placeholder columns' };
  try {
    optedIn(contact, 'row');
  } catch (err) {
    if (err instanceof AppError) return { problem: err.message.replace(/^row: /, '') };
    throw err;
  }
  return { contact };
}

const RESULT_COLUMNS = ['line', 'tocontactid', 'status', 'messageId', 'conversationId', 'reason'] as const;

/** A CSV field, quoted when needed; a leading = + - @ is quoted with a ' so a spreadsheet does not run it. */
function field(v: string | number | undefined): string {
  let s = v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const resultsHeader = () => `${RESULT_COLUMNS.join(',')}\n`;

/** One line of the results file: a contact's outcome, or a bad row's problem (status "invalid"). */
export function resultLine(line: number, r: ContactResult | { tocontactid: string; status: 'invalid'; reason: string }): string {
  const reason = 'missing' in r && r.missing?.length ? `${r.reason}: ${r.missing.join(' ')}` : r.reason;
  return `${[line, r.tocontactid, r.status, 'messageId' in r ? r.messageId : undefined, 'conversationId' in r ? r.conversationId : undefined, reason].map(field).join(',')}\n`;
}
