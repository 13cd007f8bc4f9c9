import type { HelperOptions } from 'handlebars';

/**
 * What every helper of one render shares, passed in Handlebars' private data (`@`-variables that
 * the strict check does not let a template name): the language of the template that was chosen,
 * the contact's time zone, and the budget of repeated blocks.
 */
export interface RenderScope {
  /** The locale of the template being rendered (after fallback), so dates match the words around them. */
  locale: string;
  /** The contact's IANA zone; UTC when unknown. */
  timeZone: string;
  /** The reference instant: the root `now` (the occasion day) or the moment of rendering. */
  now: Date;
  /** Iterations of {{#repeat}} left in this render; shared by nested blocks. */
  budget: { repeats: number };
}

export const SCOPE_KEY = 'tidingsScope';

const FALLBACK_SCOPE: RenderScope = { locale: 'en', timeZone: 'UTC', now: new Date(0), budget: { repeats: 0 } };

export function scopeOf(options: HelperOptions | undefined): RenderScope {
  const scope = (options?.data as Record<string, unknown> | undefined)?.[SCOPE_KEY];
  return (scope as RenderScope | undefined) ?? FALLBACK_SCOPE;
}

/** `locale="zh-CN"` on the helper call wins over the template's locale. */
export function localeOf(options: HelperOptions | undefined): string {
  const given = options?.hash?.locale;
  return typeof given === 'string' && given.length > 0 ? given : scopeOf(options).locale;
}

export function isChinese(locale: string): boolean {
  return /^zh\b/i.test(locale);
}
