import { z } from '@hono/zod-openapi';
import { AppError, badRequest } from '../errors.js';
import { addressProblem, displayNameProblem } from '../mail/address.js';
import { checkContent } from '../send/draft.js';
import type { Segment } from '../templates/placeholders.js';
import { MissingValues, type Rendered, renderTemplate, type TemplateInput, valueMap } from '../templates/template.model.js';

// A Dynamics 365 contact list entry (msdyn_InvokeOutboundAPI's ContactList), and what one
// contact gets: a rendered message, or the reason it is skipped. Pure.

export const MAX_CONTACTS = 100;
const MAX_CONTEXT_ITEMS = 100;

const flag = z.union([z.boolean(), z.string().max(10)]).openapi({ description: 'true or false, as a boolean or a string.' });

export const ContactSchema = z
  .object({
    tocontactid: z.string().max(320).openapi({ example: 'customer@example.com', description: "The contact's email address." }),
    channelid: z.string().max(200).optional(),
    optin: flag.optional().openapi({ description: 'Whether the contact agreed to be contacted; a contact without it is skipped.' }),
    option: flag.optional().openapi({ description: 'The older spelling of optin.' }),
    locale: z.string().max(100).optional().openapi({ example: 'fi-FI' }),
    contextitems: z.record(z.string().max(100), z.string().max(4096)).optional().openapi({ description: 'Values for the template placeholders, by key.' }),
    entityrelationshipname: z.string().max(200).optional(),
    regardingobjectid: z.string().max(200).optional().openapi({ description: 'The record the message concerns (also read from contextitems).' }),
    msdyn_ocoutboundconfigurationid: z.string().max(100).optional().openapi({ description: 'When given, the configuration invoked.' }),
    CustomerName: z.string().max(1000).optional(),
    CaseName: z.string().max(1000).optional(),
  })
  .openapi('OutboundContact');

export type Contact = z.infer<typeof ContactSchema>;

export type Prepared = { skip: { reason: string; missing?: string[] } } | { to: { email: string; name: string | null }; rendered: Rendered; regardingObjectId: string | null };

/** Dynamics sends opt-in as a boolean or as "true"/"false"; `optin` wins over the older `option`. */
export function optedIn(c: Contact, field: string): boolean {
  const v = c.optin ?? c.option;
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw badRequest(`${field}.${c.optin !== undefined ? 'optin' : 'option'}`, `${field}: opt-in must be true or false (got ${JSON.stringify(v)}).`);
}

/** The list's own checks: its size, and that no contact names another configuration. */
export function checkContactList(list: Contact[], configurationId: string): void {
  if (list.length === 0 || list.length > MAX_CONTACTS) {
    throw badRequest('contactList', `contactList must hold 1 to ${MAX_CONTACTS} contacts (got ${list.length}); split larger lists into several invocations.`);
  }
  list.forEach((c, i) => {
    if (c.msdyn_ocoutboundconfigurationid !== undefined && c.msdyn_ocoutboundconfigurationid.toLowerCase() !== configurationId.toLowerCase()) {
      throw badRequest(`contactList[${i}].msdyn_ocoutboundconfigurationid`, `contactList[${i}].msdyn_ocoutboundconfigurationid names another configuration than the one invoked.`);
    }
    if (c.contextitems && Object.keys(c.contextitems).length > MAX_CONTEXT_ITEMS) {
      throw badRequest(`contactList[${i}].contextitems`, `contactList[${i}].contextitems may hold at most ${MAX_CONTEXT_ITEMS} values.`);
    }
  });
}

/** What contact `i` receives from `template`, or why it is skipped. `parsed`: see renderTemplate. */
export function prepareContact(c: Contact, i: number, template: TemplateInput, parsed?: Map<string, Segment[]>): Prepared {
  if (!optedIn(c, `contactList[${i}]`)) return { skip: { reason: 'no opt-in' } };
  const email = c.tocontactid.trim();
  if (addressProblem(email)) return { skip: { reason: 'invalid address' } };
  // Top-level fields win over contextitems of the same name.
  const values = valueMap({ ...c.contextitems, tocontactid: email, CustomerName: c.CustomerName, CaseName: c.CaseName });
  let rendered: Rendered;
  try {
    rendered = renderTemplate(template, c.locale, values, parsed);
    checkContent(rendered.subject, rendered.textBody, rendered.htmlBody);
  } catch (err) {
    if (err instanceof MissingValues) return { skip: { reason: 'missing values', missing: err.keys } };
    if (err instanceof AppError) return { skip: { reason: 'invalid content' } };
    throw err;
  }
  const name = c.CustomerName?.trim() || null;
  const regarding = c.regardingobjectid ?? c.contextitems?.regardingobjectid ?? null;
  return { to: { email, name: name && !displayNameProblem(name) ? name : null }, rendered, regardingObjectId: regarding };
}
