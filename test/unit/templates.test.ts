import { describe, expect, it } from 'vitest';
import { chooseLocale } from '../../src/templates/locale.js';
import { PlaceholderError, parse, render } from '../../src/templates/placeholders.js';
import { MissingValues, renderTemplate, valueMap } from '../../src/templates/template.model.js';

const values = valueMap({ CustomerName: 'Pat <b>&</b>', CaseName: 'CAS-1', 'Case.TicketNumber': 'T-9' });
const text = (s: string) => render(parse(s), values, 'text', 10_000, new Set());

describe('placeholders', () => {
  it('substitute keys case-insensitively, Dynamics slugs, defaults and literal braces in one pass', () => {
    expect(text('Hi {customername}, case {CaseName}')).toBe('Hi Pat <b>&</b>, case CAS-1');
    expect(text('{FullName{Customer}} / {Title{Case}} / {TicketNumber{Case}}')).toBe('Pat <b>&</b> / CAS-1 / T-9');
    expect(text('Hello {Nickname|there}')).toBe('Hello there');
    expect(text('{{CustomerName}} body { color: red }')).toBe('{CustomerName} body { color: red }');
    // A value is never parsed again: a value holding a placeholder stays text.
    expect(render(parse('{A}'), valueMap({ A: '{CustomerName}' }), 'text', 100, new Set())).toBe('{CustomerName}');
  });

  it('escape values, not the template, in HTML, and keep subjects on one line', () => {
    expect(render(parse('<p>{CustomerName}</p>'), values, 'html', 1000, new Set())).toBe('<p>Pat &lt;b&gt;&amp;&lt;/b&gt;</p>');
    expect(render(parse('Re {A}'), valueMap({ A: 'x\r\nBcc: evil@example.com' }), 'subject', 1000, new Set())).toBe('Re x Bcc: evil@example.com');
  });

  it.each([
    ['Hi {CustomerName', /not closed/],
    ['Hi {Customer Name}', /not closed/],
    ['{FullName{Customer}', /not closed/],
    ['{FullName{}}', /slug/],
    ['{A|default {B}}', /not closed/],
  ])('refuse %j', (s, why) => {
    expect(() => parse(s)).toThrow(PlaceholderError);
    expect(() => parse(s)).toThrow(why);
  });

  it('stop rendering past the size limit', () => {
    const segments = parse('{A}'.repeat(1000));
    expect(() => render(segments, valueMap({ A: 'x'.repeat(100) }), 'text', 50_000, new Set())).toThrow(/longer than 50000/);
  });
});

describe('the locale chain', () => {
  const available = ['en', 'fr', 'fi-FI', 'zh-Hant'];
  it.each([
    ['fi-FI', 'fi-FI'],
    ['fi-fi', 'fi-FI'],
    ['fr-CA', 'fr'],
    ['zh-Hant-TW', 'zh-Hant'],
    ['de-DE', 'en'],
    [undefined, 'en'],
    ['not a tag!', 'en'],
  ])('%s gets %s', (requested, chosen) => {
    expect(chooseLocale(requested, available, 'en')).toBe(chosen);
  });

  it("answers the same tag by each template's own locales and default, however the tag is written", () => {
    expect(chooseLocale('fr-CA', ['en', 'fr'], 'en')).toBe('fr');
    expect(chooseLocale('fr-CA', ['en', 'de'], 'en')).toBe('en');
    expect(chooseLocale('fr-CA', ['de', 'fr-CA'], 'de')).toBe('fr-CA');
    expect(chooseLocale('fr-ca', ['en', 'fr'], 'en')).toBe('fr');
  });
});

describe('rendering a template', () => {
  it('lists every missing value, slugs as written', () => {
    const t = { name: 't', channel: 'email' as const, defaultLocale: 'en', localizations: [{ locale: 'en', subject: '{CaseName} for {X}', textBody: '{FullName{Customer}} {Y|ok}' }] };
    try {
      renderTemplate(t, 'en', valueMap({}));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MissingValues);
      expect((err as MissingValues).keys).toEqual(['{CaseName}', '{X}', '{FullName{Customer}}']);
    }
  });
});
