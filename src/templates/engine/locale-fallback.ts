export const FALLBACK_LOCALE = 'en';

const language = (locale: string) => locale.split('-')[0].toLowerCase();

/**
 * The available locales to try for a request, best first: the exact locale (zh-CN), its language
 * (zh), another region of the same language (zh-TW before nothing), then English (en, then en-*).
 * A zh-HK customer gets the Chinese template rather than the English one when only zh-CN exists.
 */
export function localeCandidates(requested: string | null | undefined, available: Iterable<string>): string[] {
  const locales = [...new Set(available)].sort();
  const order: string[] = [];
  const add = (locale: string | undefined) => {
    if (locale !== undefined && !order.includes(locale)) order.push(locale);
  };
  if (requested) {
    const wanted = requested.toLowerCase();
    add(locales.find((l) => l.toLowerCase() === wanted));
    add(locales.find((l) => l.toLowerCase() === language(requested)));
    for (const l of locales) if (language(l) === language(requested)) add(l);
  }
  add(locales.find((l) => l === FALLBACK_LOCALE));
  for (const l of locales) if (language(l) === FALLBACK_LOCALE) add(l);
  return order;
}
