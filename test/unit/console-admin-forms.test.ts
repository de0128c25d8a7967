import { describe, expect, it } from 'vitest';
import { contactsFromCsv } from '../../src/console/admin/contacts.js';
import { sampleValues } from '../../src/console/admin/templates.js';
import { AppError } from '../../src/errors.js';

// What the console reads from a typed contact list and from sample values for a preview.

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).message;
  }
  throw new Error('not refused');
};

describe('contactsFromCsv', () => {
  it('reads each row as a contact, unknown columns as placeholder values', () => {
    expect(contactsFromCsv('tocontactid,optin,locale,CustomerName,Plan\npat@example.net,true,fi,Pat,Gold\n', 'cfg-1')).toEqual([
      { tocontactid: 'pat@example.net', optin: 'true', locale: 'fi', CustomerName: 'Pat', contextitems: { Plan: 'Gold' } },
    ]);
  });

  it('refuses the whole list for one bad row, naming its line', () => {
    expect(refusal(() => contactsFromCsv('tocontactid,optin\npat@example.net,true\n,true\n', 'cfg-1'))).toBe('contacts, line 3: no tocontactid.');
    expect(refusal(() => contactsFromCsv('tocontactid,optin\n', 'cfg-1'))).toContain('at least one contact');
    expect(refusal(() => contactsFromCsv('tocontactid,optin\n"unclosed,true\n', 'cfg-1'))).toContain('the CSV does not parse');
  });

  it('takes at most the API’s number of contacts at a time', () => {
    const rows = Array.from({ length: 101 }, (_, i) => `c${i}@example.net,true`).join('\n');
    expect(refusal(() => contactsFromCsv(`tocontactid,optin\n${rows}`, 'cfg-1'))).toContain('at most 100 contacts');
  });
});

describe('sampleValues', () => {
  it('reads Key: value and Key=value lines, keeping what follows the first separator', () => {
    expect(sampleValues('CustomerName: Pat\r\nLink=https://example.com/?a=1\nno separator\n: no key')).toEqual({ CustomerName: 'Pat', Link: 'https://example.com/?a=1' });
  });
});
