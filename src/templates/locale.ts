import { match } from '@formatjs/intl-localematcher';
import { TtlCache } from '../cache.js';

/** The canonical form of a BCP 47 tag (`en-us` → `en-US`), or null when it is not one. Pure. */
export function canonicalLocale(tag: string): string | null {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical ?? null;
  } catch {
    return null;
  }
}

/** Keyed by the contact's tag as sent and the template's locales; bounded, the tags come from outside. */
const choices = new TtlCache<string, string>({ max: 1000, ttlMs: 0 });

/**
 * The localization a contact receives: its exact tag, then that tag's language (`fr-CA` → `fr`,
 * by ECMA-402's lookup, which also walks scripts: `zh-Hant-TW` → `zh-Hant`), then the
 * template's default. A missing or malformed tag gets the default. Pure.
 */
export function chooseLocale(requested: string | null | undefined, available: readonly string[], defaultLocale: string): string {
  if (!requested) return defaultLocale;
  // Canonicalizing and matching cost more than the rest of a contact's rendering, and a list
  // (or a CSV of any length) repeats a few locales against one template.
  // JSON: the tag comes from outside and may hold any character, so no separator is safe.
  const key = JSON.stringify([requested, defaultLocale, available]);
  let chosen = choices.get(key);
  if (chosen === undefined) {
    const tag = canonicalLocale(requested);
    chosen = tag ? match([tag], available, defaultLocale, { algorithm: 'lookup' }) : defaultLocale;
    choices.set(key, chosen);
  }
  return chosen;
}
