import { match } from '@formatjs/intl-localematcher';

/** The canonical form of a BCP 47 tag (`en-us` → `en-US`), or null when it is not one. Pure. */
export function canonicalLocale(tag: string): string | null {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical ?? null;
  } catch {
    return null;
  }
}

/**
 * The localization a contact receives: its exact tag, then that tag's language (`fr-CA` → `fr`,
 * by ECMA-402's lookup, which also walks scripts: `zh-Hant-TW` → `zh-Hant`), then the
 * template's default. A missing or malformed tag gets the default. Pure.
 */
export function chooseLocale(requested: string | null | undefined, available: readonly string[], defaultLocale: string): string {
  const tag = requested ? canonicalLocale(requested) : null;
  if (!tag) return defaultLocale;
  return match([tag], available, defaultLocale, { algorithm: 'lookup' });
}
