import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ErrorDetail } from '../../common/errors/api-error';
import { findRawInputProblems } from '../../common/errors/raw-input';
import { flattenValidationErrors } from '../../common/errors/validation';
import { PostalAddress } from '../contact.entity';
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

  const dto = plainToInstance(CreateContactDto, value);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  const problems = flattenValidationErrors(errors);
  if (problems.length > 0) return { line, problems: mergeProblems(problems) };

  const normalized = normalizeContactInput(dto, defaultRegion);
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
