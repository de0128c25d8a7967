import { describe, expect, it } from 'vitest';
import { resultLine, rowToContact } from '../../src/cli/csv-contacts.js';

// A CSV row of `threadline send` as a Dynamics contact, and a contact's outcome as a results line.

const CFG = '01a20000-0000-7000-8000-000000000000';

describe('a CSV row as a contact', () => {
  it('takes the Dynamics fields by name and every other column as a placeholder value, leaving out empty cells', () => {
    const r = rowToContact({ tocontactid: ' pat@example.com ', optin: 'true', locale: 'fi-FI', CustomerName: 'Pat', OrderNumber: '42', Empty: '' }, CFG);
    expect(r).toEqual({ contact: { tocontactid: 'pat@example.com', optin: 'true', locale: 'fi-FI', CustomerName: 'Pat', contextitems: { OrderNumber: '42' } } });
  });

  it('names the problem of a row the invocation would refuse as a whole', () => {
    expect(rowToContact({ tocontactid: '', optin: 'true' }, CFG)).toEqual({ problem: 'no tocontactid' });
    expect(rowToContact({ tocontactid: 'a@example.com', optin: 'maybe' }, CFG)).toEqual({ problem: 'opt-in must be true or false (got "maybe").' });
    expect(rowToContact({ tocontactid: 'a@example.com', msdyn_ocoutboundconfigurationid: 'another' }, CFG)).toEqual({
      problem: 'msdyn_ocoutboundconfigurationid names another configuration',
    });
    expect(rowToContact({ tocontactid: 'a@example.com', locale: 'x'.repeat(101) }, CFG)).toMatchObject({ problem: expect.stringMatching(/^locale: /) });
  });
});

describe('a results line', () => {
  it('quotes what needs quoting, and keeps a spreadsheet from running a formula', () => {
    expect(resultLine(7, { tocontactid: 'a@example.com', status: 'queued', messageId: 'm1', conversationId: 'c1' })).toBe('7,a@example.com,queued,m1,c1,\n');
    expect(resultLine(8, { tocontactid: '=HYPERLINK("x")', status: 'invalid', reason: 'a, b' })).toBe('8,"\'=HYPERLINK(""x"")",invalid,,,"a, b"\n');
    expect(resultLine(9, { tocontactid: 'b@example.com', status: 'skipped', reason: 'missing values', missing: ['{CaseName}'] })).toBe(
      '9,b@example.com,skipped,,,missing values: {CaseName}\n',
    );
  });
});
