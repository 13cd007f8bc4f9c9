import { registerDecorator, ValidationOptions } from 'class-validator';
import { DateTime, IANAZone } from 'luxon';

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

export function isCountryCode(value: unknown): boolean {
  return typeof value === 'string' && /^[A-Z]{2}$/.test(value) && regionNames.of(value) !== undefined;
}

export function canonicalLocale(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 35) return null;
  try {
    return Intl.getCanonicalLocales(value)[0] ?? null;
  } catch {
    return null;
  }
}

export function isIanaTimeZone(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 64 && IANAZone.isValidZone(value);
}

/** A real calendar date written YYYY-MM-DD, not in the future and not before 1900. */
export function isPastCalendarDate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = DateTime.fromISO(value, { zone: 'UTC' });
  return date.isValid && date.year >= 1900 && date <= DateTime.utc().plus({ days: 1 });
}

function simple(name: string, test: (value: unknown) => boolean, message: string) {
  return (options?: ValidationOptions) => (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} ${message}`, ...options },
      validator: { validate: test },
    });
}

export const IsCountryCode = simple('isCountryCode', isCountryCode, 'must be an ISO 3166-1 alpha-2 country code such as CN, DE or US');
export const IsBcp47Locale = simple('isBcp47Locale', (v) => canonicalLocale(v) !== null, 'must be a BCP 47 language tag such as zh-CN or en-US');
export const IsIanaTimeZone = simple('isIanaTimeZone', isIanaTimeZone, 'must be an IANA time zone such as Asia/Shanghai');
export const IsPastCalendarDate = simple('isPastCalendarDate', isPastCalendarDate, 'must be a date YYYY-MM-DD between 1900 and today');
export const IsSmallJsonObject = (maxBytes: number, options?: ValidationOptions) =>
  simple(
    'isSmallJsonObject',
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && JSON.stringify(v).length <= maxBytes,
    `must be a JSON object of at most ${maxBytes} bytes`,
  )(options);
