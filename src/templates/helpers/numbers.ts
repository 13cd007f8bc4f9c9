import { cached, safeLocale } from './intl-cache';
import { isChinese } from './render-scope';

const pluralRules = new Map<string, Intl.PluralRules>();
const numberFormats = new Map<string, Intl.NumberFormat>();
const EN_ORDINAL = new Intl.PluralRules('en', { type: 'ordinal' });
const EN_SUFFIX: Record<string, string> = { one: 'st', two: 'nd', few: 'rd', other: 'th' };

/** A finite number from a number or numeric text; anything else is null (renders as nothing). */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return null;
}

/** 1st, 2nd, 3rd, 11th, 22nd in English; 第1 in Chinese and Japanese. Other languages get the English form. */
export function ordinal(value: unknown, locale: string): string {
  const n = toNumber(value);
  if (n === null || !Number.isInteger(n)) return '';
  if (isChinese(locale) || /^ja\b/i.test(locale)) return `第${n}`;
  return `${n}${EN_SUFFIX[EN_ORDINAL.select(n)] ?? 'th'}`;
}

export const PLURAL_FORMS = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;

/**
 * The form the locale's plural rules pick for `count` (Intl.PluralRules), `#` replaced by the
 * count: `one="# candle" other="# candles"`. Chinese has only `other`.
 */
export function plural(value: unknown, forms: Record<string, unknown>, locale: string): string {
  const n = toNumber(value);
  if (n === null) return '';
  const tag = safeLocale(locale);
  const category = cached(pluralRules, tag, () => new Intl.PluralRules(tag)).select(n);
  const form = forms[category] ?? forms.other;
  if (typeof form !== 'string') return '';
  return form.replace(/#/g, cached(numberFormats, tag, () => new Intl.NumberFormat(tag)).format(n));
}

/** ¥1,234.50 / $1,234.50 in the locale's conventions; nothing for a malformed amount or currency code. */
export function currency(amount: unknown, code: unknown, locale: string): string {
  const n = toNumber(amount);
  if (n === null || typeof code !== 'string' || !/^[A-Za-z]{3}$/.test(code)) return '';
  const tag = safeLocale(locale);
  const currencyCode = code.toUpperCase();
  try {
    return cached(numberFormats, `${tag}|${currencyCode}`, () => new Intl.NumberFormat(tag, { style: 'currency', currency: currencyCode })).format(n);
  } catch {
    return '';
  }
}
