import { format as formatAddress } from '@fragaria/address-formatter';
import type { PostalAddress } from '../../contacts/contact.entity';

/**
 * Countries whose post delivers without a postal code (none exists, or it is not used on mail),
 * after the UPU list and Google's address metadata. Everywhere else a letter without one is
 * incomplete. Ireland's Eircode is optional for delivery, so IE is here too.
 */
const NO_POSTCODE_COUNTRIES = new Set([
  'AE', 'AG', 'AN', 'AO', 'AW', 'BF', 'BI', 'BJ', 'BO', 'BS', 'BW', 'BZ', 'CD', 'CF', 'CG', 'CI', 'CK', 'CM', 'DJ', 'DM',
  'ER', 'FJ', 'GA', 'GD', 'GH', 'GM', 'GQ', 'GY', 'HK', 'IE', 'KI', 'KM', 'KN', 'KP', 'LC', 'LY', 'ML', 'MO', 'MR', 'MW',
  'NR', 'NU', 'QA', 'RW', 'SB', 'SC', 'SL', 'SR', 'ST', 'SY', 'TD', 'TF', 'TG', 'TK', 'TL', 'TO', 'TV', 'UG', 'VU', 'YE',
  'ZW',
]);

export function usesPostcode(country: string): boolean {
  return !NO_POSTCODE_COUNTRIES.has(country.toUpperCase());
}

/** The fields a letter cannot be delivered without that this address lacks, in a fixed order. */
export function missingAddressFields(address: PostalAddress): string[] {
  const missing: string[] = [];
  if (!filled(address.street)) missing.push('street');
  if (!filled(address.postcode) && filled(address.country) && usesPostcode(address.country)) missing.push('postcode');
  if (!filled(address.city)) missing.push('city');
  if (!filled(address.country)) missing.push('country');
  return missing;
}

/** Han, kana and Hangul: scripts written without spaces between words. */
const CJK = /[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/u;
const SPACE_BESIDE_CJK =
  /(?<=[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef])\s+|\s+(?=[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef])/gu;

export function hasCjk(text: string): boolean {
  return CJK.test(text);
}

/**
 * The name as written on an envelope: family name first and unspaced when it is written in
 * Chinese, Japanese or Korean characters (王小明), given name first otherwise (Jane Doe).
 */
export function envelopeName(givenName: string | null, familyName: string | null): string {
  const given = givenName?.trim() ?? '';
  const family = familyName?.trim() ?? '';
  if (hasCjk(given + family)) return family + given;
  return [given, family].filter(Boolean).join(' ');
}

export interface PostalAddressOptions {
  /** ISO country the letter is posted in; other countries get their country line. Null: always. */
  postedFrom: string | null;
}

/**
 * The envelope block for a country's conventions, by OpenCage's address templates
 * (@fragaria/address-formatter): China from the postcode down to the house and the name last,
 * the US name first and "City, ST ZIP". Our `extra` (flat, building, c/o) is the template's
 * `house`, `district` its `suburb`, `state` its `state`.
 */
export function formatPostalAddress(name: string, address: PostalAddress, options: PostalAddressOptions): string[] {
  const country = address.country.toUpperCase();
  const lines = formatAddress(
    {
      attention: blankToUndefined(name),
      road: blankToUndefined(address.street),
      houseNumber: blankToUndefined(address.houseNumber),
      house: blankToUndefined(address.extra),
      suburb: blankToUndefined(address.district),
      city: blankToUndefined(address.city),
      state: blankToUndefined(address.state),
      postcode: blankToUndefined(address.postcode),
      countryCode: country,
    },
    { output: 'array', appendCountry: options.postedFrom === null || options.postedFrom.toUpperCase() !== country },
  );
  // The templates put a space between road and number ("南京东路 100号"); Chinese writes none.
  return lines.map((line) => line.replace(SPACE_BESIDE_CJK, '').trim()).filter((line) => line.length > 0);
}

/** One line for lists and the messages table: the block joined with commas. */
export function oneLineAddress(lines: string[]): string {
  return lines.join(', ');
}

function filled(value: string | undefined | null): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

function blankToUndefined(value: string | undefined | null): string | undefined {
  return filled(value) ? value.trim() : undefined;
}
