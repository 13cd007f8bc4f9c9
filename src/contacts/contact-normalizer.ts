import { CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { ErrorDetail } from '../common/errors/api-error';
import { canonicalLocale, canonicalTimeZone } from './contact-validators';
import { ContactInputDto } from './dto/contact-input.dto';

/**
 * Puts validated input into its stored form: phone as E.164, e-mail lower-cased, locale and time zone canonical.
 * Used by the API and by the importer so both store the same thing for the same input.
 */
export function normalizeContactInput<T extends ContactInputDto>(
  input: T,
  defaultRegion: string | undefined,
): { value: T; problems: ErrorDetail[] } {
  const value = { ...input };
  const problems: ErrorDetail[] = [];
  if (typeof value.email === 'string') value.email = value.email.trim().toLowerCase();
  if (typeof value.locale === 'string') value.locale = canonicalLocale(value.locale);
  if (typeof value.timeZone === 'string') value.timeZone = canonicalTimeZone(value.timeZone) ?? value.timeZone;
  if (typeof value.phone === 'string') {
    // A country without a numbering plan of its own (AQ, BV…) cannot tell how to read a local number.
    const country = value.address?.country ?? defaultRegion;
    const region = country && isSupportedCountry(country) ? (country as CountryCode) : undefined;
    const parsed = parsePhoneNumberFromString(value.phone, region ? { defaultCountry: region } : undefined);
    if (!parsed || !parsed.isValid()) {
      problems.push({
        field: 'phone',
        problem: region
          ? 'phone is not a valid phone number'
          : 'phone is not a valid phone number (write it with its country code, e.g. +86…)',
      });
    } else {
      value.phone = parsed.number;
    }
  }
  if ((value.lunarBirthdayMonth == null) !== (value.lunarBirthdayDay == null)) {
    problems.push({ field: 'lunarBirthdayDay', problem: 'lunarBirthdayMonth and lunarBirthdayDay must be given together' });
  }
  return { value, problems };
}
