import { parse } from 'csv-parse/sync';
import { rowToContact } from '../../cli/csv-contacts.js';
import { badRequest } from '../../errors.js';
import { type Contact, MAX_CONTACTS } from '../../outbound-config/contacts.js';

/**
 * A contact list typed or pasted into the console: CSV whose first line names the columns, as
 * `threadline send` reads it (tocontactid, optin, locale, and any placeholder by its key). A bad
 * row refuses the whole list, naming its line, so that nobody is sent to half a list by mistake.
 */
export function contactsFromCsv(text: string, configurationId: string): Contact[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw badRequest('contacts', `contacts: the CSV does not parse (${(err as Error).message}).`);
  }
  if (rows.length === 0) throw badRequest('contacts', 'contacts: give a header line (tocontactid,optin,…) and at least one contact.');
  if (rows.length > MAX_CONTACTS) throw badRequest('contacts', `contacts: at most ${MAX_CONTACTS} contacts at a time; this list has ${rows.length}.`);
  return rows.map((row, i) => {
    const made = rowToContact(row, configurationId);
    if ('problem' in made) throw badRequest('contacts', `contacts, line ${i + 2}: ${made.problem}.`);
    return made.contact;
  });
}
