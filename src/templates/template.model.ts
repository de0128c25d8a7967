import { AppError, badRequest } from '../errors.js';
import { canonicalLocale, chooseLocale } from './locale.js';
import { type Mode, PlaceholderError, parse, RenderTooLarge, render, type Segment } from './placeholders.js';

// A template as stored and as rendered for one contact. Checked when saved (every placeholder
// parses, locales are BCP 47, sizes are bounded), so a send never meets a broken template. Pure.

export interface Localization {
  locale: string;
  subject: string;
  textBody?: string;
  htmlBody?: string;
}

export interface TemplateInput {
  name: string;
  channel: 'email';
  defaultLocale: string;
  localizations: Localization[];
}

/** All localizations' subjects and bodies together, when saved. */
export const TEMPLATE_MAX_CHARS = 512 * 1024;
/** One rendered field: what a contact's values can grow it to (the send's own 3 MB limit comes after). */
export const RENDER_MAX_CHARS = 1024 * 1024;
export const MAX_LOCALIZATIONS = 100;

const FIELDS = ['subject', 'textBody', 'htmlBody'] as const;

/** The input with canonical locale tags, or a 400 naming the field at fault. */
export function checkTemplate(t: TemplateInput): TemplateInput {
  if (t.localizations.length === 0) throw badRequest('localizations', 'localizations must hold at least one localization.');
  if (t.localizations.length > MAX_LOCALIZATIONS) throw badRequest('localizations', `localizations may hold at most ${MAX_LOCALIZATIONS} localizations.`);
  let total = 0;
  const seen = new Set<string>();
  const localizations = t.localizations.map((l, i) => {
    const at = `localizations[${i}]`;
    const locale = canonicalLocale(l.locale);
    if (!locale) throw badRequest(`${at}.locale`, `${at}.locale ${JSON.stringify(l.locale)} is not a BCP 47 language tag such as fi-FI or en.`);
    if (seen.has(locale)) throw badRequest(`${at}.locale`, `${at}.locale ${locale} is given twice.`);
    seen.add(locale);
    if (/[\r\n]/.test(l.subject)) throw badRequest(`${at}.subject`, `${at}.subject must not contain CR or LF characters.`);
    if (!l.subject.trim()) throw badRequest(`${at}.subject`, `${at}.subject must not be empty.`);
    if (!l.textBody && !l.htmlBody) throw badRequest(`${at}.textBody`, `${at} needs a textBody or an htmlBody.`);
    for (const f of FIELDS) {
      const v = l[f];
      if (v === undefined) continue;
      total += v.length;
      try {
        parse(v);
      } catch (err) {
        if (!(err instanceof PlaceholderError)) throw err;
        throw badRequest(`${at}.${f}`, `${at}.${f} (${locale}): ${err.message}.`, 'invalid.placeholder');
      }
    }
    return { locale, subject: l.subject, ...(l.textBody ? { textBody: l.textBody } : {}), ...(l.htmlBody ? { htmlBody: l.htmlBody } : {}) };
  });
  if (total > TEMPLATE_MAX_CHARS) throw badRequest('localizations', `The localizations hold ${total} characters; a template may hold at most ${TEMPLATE_MAX_CHARS}.`);
  const defaultLocale = canonicalLocale(t.defaultLocale);
  if (!defaultLocale || !seen.has(defaultLocale)) {
    throw badRequest('defaultLocale', `defaultLocale ${JSON.stringify(t.defaultLocale)} must be the locale of one of the localizations (${[...seen].join(', ')}).`);
  }
  return { name: t.name, channel: t.channel, defaultLocale, localizations };
}

export interface Rendered {
  locale: string;
  subject: string;
  textBody: string | null;
  htmlBody: string | null;
}

/** Values a contact gives, keyed as placeholders read them (lower case). */
export function valueMap(values: Record<string, string | undefined>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) m.set(k.toLowerCase(), v);
  return m;
}

/** The missing values, every one of them (not just the first). */
export class MissingValues extends Error {
  constructor(public readonly keys: string[]) {
    super(`No value for ${keys.join(', ')}: give each in the values (or the contact's contextitems), or a default in the template as {Key|default}.`);
  }
}

/**
 * Renders the localization chosen for `locale`; throws MissingValues listing every missing key,
 * or AppError 400 past the size limit. `parsed`: fields already parsed, by their text (an
 * invocation parses its template once for all its contacts).
 */
export function renderTemplate(t: TemplateInput, locale: string | null | undefined, values: ReadonlyMap<string, string>, parsed = new Map<string, Segment[]>()): Rendered {
  const chosen = chooseLocale(
    locale,
    t.localizations.map((l) => l.locale),
    t.defaultLocale,
  );
  const l = t.localizations.find((x) => x.locale === chosen)!;
  const missing = new Set<string>();
  const one = (v: string | undefined, mode: Mode): string | null => {
    if (v === undefined) return null;
    let segments = parsed.get(v);
    if (!segments) {
      segments = parse(v);
      parsed.set(v, segments);
    }
    try {
      return render(segments, values, mode, RENDER_MAX_CHARS, missing);
    } catch (err) {
      if (err instanceof RenderTooLarge)
        throw new AppError(400, 'bad.request', `The rendered ${mode === 'html' ? 'htmlBody' : mode === 'text' ? 'textBody' : 'subject'} is longer than ${RENDER_MAX_CHARS} characters.`, [
          { errorCode: 'rendered.too.large', fieldName: 'values' },
        ]);
      throw err;
    }
  };
  const rendered = { locale: chosen, subject: one(l.subject, 'subject') ?? '', textBody: one(l.textBody, 'text'), htmlBody: one(l.htmlBody, 'html') };
  if (missing.size > 0) throw new MissingValues([...missing]);
  return rendered;
}
