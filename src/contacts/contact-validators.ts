import { registerDecorator, ValidateIf, ValidationOptions } from 'class-validator';
import { DateTime, IANAZone } from 'luxon';

/**
 * The officially assigned ISO 3166-1 alpha-2 codes, plus XK (Kosovo, user-assigned but used by the EU
 * and by libphonenumber). Written out because the region names of Intl also know UK, EU, UN, ZZ and
 * withdrawn codes such as SU or YU, none of which is a country a letter can be sent to.
 */
const COUNTRY_CODES = new Set(
  `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
   CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
   GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
   JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
   MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
   RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
   TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW`.split(/\s+/),
);

export function isCountryCode(value: unknown): boolean {
  return typeof value === 'string' && COUNTRY_CODES.has(value);
}

/**
 * Locales and zone names repeat from contact to contact, and the Intl calls that check them are
 * slow (tens of microseconds for a locale, about half a millisecond for a zone, which luxon checks by
 * building an Intl.DateTimeFormat): remembered, so a bulk import does not spend most of its time
 * here. Bounded, so junk input cannot grow them.
 */
function remembered(compute: (value: string) => string | null): (value: string) => string | null {
  const known = new Map<string, string | null>();
  return (value) => {
    let result = known.get(value);
    if (result === undefined) {
      result = compute(value);
      if (known.size < 2000) known.set(value, result);
    }
    return result;
  };
}

const resolveLocale = remembered((value) => {
  try {
    return Intl.getCanonicalLocales(value)[0] ?? null;
  } catch {
    return null;
  }
});

export function canonicalLocale(value: unknown): string | null {
  return typeof value === 'string' && value.length <= 35 ? resolveLocale(value) : null;
}

const resolveTimeZone = remembered((value) =>
  value.length <= 64 && IANAZone.isValidZone(value) ? new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone : null,
);

export function isIanaTimeZone(value: unknown): boolean {
  return typeof value === 'string' && resolveTimeZone(value) !== null;
}

/** `asia/shanghai` → `Asia/Shanghai`, `US/Eastern` → `America/New_York`: one spelling per zone, so queries can compare names. */
export function canonicalTimeZone(value: unknown): string | null {
  return typeof value === 'string' ? resolveTimeZone(value) : null;
}

/** A real calendar date written YYYY-MM-DD, not in the future and not before 1900. */
export function isPastCalendarDate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = DateTime.fromISO(value, { zone: 'UTC' });
  return date.isValid && date.year >= 1900 && date <= DateTime.utc().plus({ days: 1 });
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A list cursor as ContactsRepository writes it: base64url of `["<createdAt ISO instant>", "<uuid>"]`.
 * Checked here so a forged one is a 400 naming `cursor` rather than a database cast error.
 */
export function isContactListCursor(value: unknown): boolean {
  if (typeof value !== 'string' || !/^[\w-]+$/.test(value)) return false;
  try {
    const parts: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parts) || parts.length !== 2) return false;
    const [createdAt, id] = parts as unknown[];
    return (
      typeof createdAt === 'string' &&
      ISO_INSTANT.test(createdAt) &&
      !Number.isNaN(Date.parse(createdAt)) &&
      new Date(createdAt).toISOString() === createdAt &&
      typeof id === 'string' &&
      UUID.test(id)
    );
  } catch {
    return false;
  }
}

export const MAX_TAGS = 100;

/** Why a value is not a list of tags, or null. One rule instead of five, so one mistake gives one message. */
export function tagListProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'tags must be an array of strings ([] for none)';
  if (value.length > MAX_TAGS) return `tags must have at most ${MAX_TAGS} entries`;
  const bad = value.findIndex((tag) => typeof tag !== 'string' || tag.length < 1 || tag.length > 64 || tag.includes(','));
  return bad === -1 ? null : `tags[${bad}] must be a text of 1 to 64 characters without commas`;
}

export const IsTagList = (options?: ValidationOptions) => (object: object, propertyName: string) =>
  registerDecorator({
    name: 'isTagList',
    target: object.constructor,
    propertyName,
    options,
    validator: { validate: (value) => tagListProblem(value) === null, defaultMessage: (args) => tagListProblem(args?.value) ?? '' },
  });

/** Like @IsOptional(), but only for an absent field: `null` is validated, and refused, for fields that always have a value. */
export const IsOptionalButNotNull = (options?: ValidationOptions) => ValidateIf((_object, value) => value !== undefined, options);

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
export const IsContactListCursor = simple('isContactListCursor', isContactListCursor, 'is not one this API produced');
export const IsPastCalendarDate = simple('isPastCalendarDate', isPastCalendarDate, 'must be a date YYYY-MM-DD between 1900 and today');
export const IsSmallJsonObject = (maxBytes: number, options?: ValidationOptions) =>
  simple(
    'isSmallJsonObject',
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Buffer.byteLength(JSON.stringify(v), 'utf8') <= maxBytes,
    `must be a JSON object of at most ${maxBytes} bytes`,
  )(options);
