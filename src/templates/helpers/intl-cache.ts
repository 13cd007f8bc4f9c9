/**
 * Intl formatters cost tens of microseconds to build and nothing to reuse; a render makes several.
 * Keys come from data (a sample's locale), so the cache is bounded and starts over when full.
 */
const MAX_ENTRIES = 500;

export function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let hit = cache.get(key);
  if (hit === undefined) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    hit = make();
    cache.set(key, hit);
  }
  return hit;
}

/** A locale Intl accepts; a malformed one in sample data means English rather than a RangeError. */
export function safeLocale(locale: string): string {
  return cached(canonical, locale, () => {
    try {
      return Intl.getCanonicalLocales(locale)[0] ?? 'en';
    } catch {
      return 'en';
    }
  });
}

const canonical = new Map<string, string>();
