import { plainToInstance } from 'class-transformer';
import { isEmail, length, maxLength, validateSync } from 'class-validator';
import { ErrorDetail } from '../../common/errors/api-error';
import { findRawInputProblems } from '../../common/errors/raw-input';
import { flattenValidationErrors } from '../../common/errors/validation';
import { PostalAddress } from '../contact.entity';
import { canonicalLocale, isCountryCode, isIanaTimeZone, isPastCalendarDate, tagListProblem } from '../contact-validators';
import { normalizeContactInput } from '../contact-normalizer';
import { ConsentSetDto, CreateContactDto } from '../dto/contact-input.dto';

/** The stored fields a row gives, already normalised; a missing key means "not given". */
export interface ContactFields {
  externalId?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  formOfAddress?: string | null;
  email?: string | null;
  phone?: string | null;
  address?: PostalAddress | null;
  locale?: string | null;
  timeZone?: string | null;
  birthday?: string | null;
  lunarBirthdayMonth?: number | null;
  lunarBirthdayDay?: number | null;
  lunarBirthdayLeap?: boolean;
  tags?: string[];
  attributes?: Record<string, unknown>;
}

export const CONTACT_FIELDS = [
  'externalId', 'givenName', 'familyName', 'formOfAddress', 'email', 'phone', 'address', 'locale', 'timeZone',
  'birthday', 'lunarBirthdayMonth', 'lunarBirthdayDay', 'lunarBirthdayLeap', 'tags', 'attributes',
] as const satisfies ReadonlyArray<keyof ContactFields>;


export interface ValidRow {
  line: number;
  fields: ContactFields;
  consent?: ConsentSetDto;
}

export type CheckedRow = { line: number; valid: ValidRow; problems?: undefined } | { line: number; valid?: undefined; problems: ErrorDetail[] };

/**
 * The rules of POST /contacts, applied to one imported row: the same DTO and validation options as
 * the global ValidationPipe, then the same normaliser. Problems name the field and the rule, never
 * the value, because they are stored and must hold no personal data.
 */
export function checkContactRow(line: number, value: Record<string, unknown>, defaultRegion: string | undefined): CheckedRow {
  // What the API's pipe refuses before any DTO runs: prototype keys, deep nesting, NUL, lone surrogates.
  const raw = findRawInputProblems(value);
  if (raw.length > 0) return { line, problems: mergeProblems(raw) };

  let input: CreateContactDto;
  if (passesContactRules(value)) {
    input = value as CreateContactDto;
  } else {
    input = plainToInstance(CreateContactDto, value);
    const problems = flattenValidationErrors(validateSync(input, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
    if (problems.length > 0) return { line, problems: mergeProblems(problems) };
  }

  const normalized = normalizeContactInput(input, defaultRegion);
  if (normalized.problems.length > 0) return { line, problems: mergeProblems(normalized.problems) };
  const { consent, ...rest } = normalized.value;
  if (!rest.externalId && !rest.email && !rest.phone) {
    return { line, problems: [{ field: 'externalId', problem: 'a row needs at least one of externalId, email or phone' }] };
  }
  const fields: ContactFields = {};
  for (const field of CONTACT_FIELDS) {
    if (rest[field] !== undefined) (fields as Record<string, unknown>)[field] = rest[field];
  }
  // class-transformer made the address a class instance; what is stored and compared is plain data.
  if (fields.address) fields.address = definedOnly(fields.address) as unknown as PostalAddress;
  return { line, valid: { line, fields, consent } };
}

/**
 * The DTO's rules for the plain values a file gives, checked with the same functions its decorators
 * call. class-transformer and class-validator cost about 60 µs a row (metadata looked up again for
 * every object), most of a large import's time; this costs a few. It only ever says "valid": anything
 * it does not know for certain (a null, a number where text belongs, an unknown key, a failed rule)
 * goes through the DTO, which then also words the problem. contact-row.validator.spec.ts checks that
 * both ways accept the same rows and store the same values.
 */
export function passesContactRules(value: Record<string, unknown>): boolean {
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(FIELD_RULES, key) || !FIELD_RULES[key](value[key])) return false;
  }
  return true;
}

type Rule = (value: unknown) => boolean;
const text = (min: number, max: number): Rule => (v) => typeof v === 'string' && length(v, min, max);
const upTo = (max: number): Rule => (v) => typeof v === 'string' && maxLength(v, max);
const integer = (min: number, max: number): Rule => (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
const objectOf = (rules: Record<string, Rule>, required: string[] = []): Rule => (v) =>
  isPlainObject(v) && required.every((key) => v[key] !== undefined) && Object.keys(v).every((key) => Object.hasOwn(rules, key) && rules[key](v[key]));

/** Birthdays repeat across a file; the luxon check behind isPastCalendarDate is the slow part. Bounded. */
const knownBirthdays = new Map<string, boolean>();
function isBirthday(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let valid = knownBirthdays.get(value);
  if (valid === undefined) {
    valid = isPastCalendarDate(value);
    if (knownBirthdays.size >= 50_000) knownBirthdays.clear();
    knownBirthdays.set(value, valid);
  }
  return valid;
}

const consentRule = objectOf({ granted: (v) => typeof v === 'boolean', text: upTo(2000), source: upTo(100) }, ['granted']);
/**
 * Mirrors the decorators of ContactInputDto, PostalAddressDto, ConsentSetDto and ConsentInputDto,
 * without their optional nulls. A rule added to those DTOs must be added here too.
 */
const FIELD_RULES: Record<string, Rule> = {
  externalId: text(1, 100),
  givenName: text(1, 100),
  familyName: text(1, 100),
  formOfAddress: text(1, 100),
  email: (v) => typeof v === 'string' && isEmail(v, {}) && maxLength(v, 254),
  phone: upTo(32),
  address: objectOf(
    {
      street: upTo(200), houseNumber: upTo(20), extra: upTo(200), postcode: upTo(20), city: upTo(100), district: upTo(100), state: upTo(100),
      country: isCountryCode,
    },
    ['country'],
  ),
  locale: (v) => canonicalLocale(v) !== null,
  timeZone: isIanaTimeZone,
  birthday: isBirthday,
  lunarBirthdayMonth: integer(1, 12),
  lunarBirthdayDay: integer(1, 30),
  lunarBirthdayLeap: (v) => typeof v === 'boolean',
  tags: (v) => tagListProblem(v) === null,
  attributes: (v) => isPlainObject(v) && Buffer.byteLength(JSON.stringify(v), 'utf8') <= 16_384,
  consent: objectOf({ email: consentRule, sms: consentRule, mail: consentRule }),
};

/** Enough to tell what is wrong with a row; a JSON line with thousands of unknown keys gets no more. */
const MAX_PROBLEMS_PER_ROW = 20;
/** Field names can come from a JSON line's keys; kept short enough for the (job, line, field) index. */
const MAX_FIELD_LENGTH = 100;

/** One entry per field, as import_row_errors keys errors by (line, field). */
export function mergeProblems(problems: ErrorDetail[]): ErrorDetail[] {
  const byField = new Map<string, string[]>();
  for (const detail of problems) {
    const field = shortened(detail.field, MAX_FIELD_LENGTH);
    const problem = shortened(detail.problem, 3 * MAX_FIELD_LENGTH);
    if (!byField.has(field) && byField.size >= MAX_PROBLEMS_PER_ROW) continue;
    const list = byField.get(field) ?? [];
    if (!list.includes(problem)) list.push(problem);
    byField.set(field, list);
  }
  return [...byField].map(([field, list]) => ({ field, problem: list.join('; ') }));
}

function definedOnly(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function shortened(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
