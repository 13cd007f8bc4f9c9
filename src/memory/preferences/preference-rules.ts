import { DateTime } from 'luxon';
import { ErrorDetail } from '../../common/errors/api-error';

export const VALUE_TYPES = ['text', 'number', 'boolean', 'date', 'choice', 'list'] as const;
export type PreferenceValueType = (typeof VALUE_TYPES)[number];

/** What a statement can hold once validated; `null` (a withdrawal) is kept apart from it. */
export type PreferenceValue = string | number | boolean | string[];

export const STATEMENT_SOURCES = ['web_form', 'sms_reply', 'email_reply', 'customer_told_staff', 'staff', 'import', 'inferred'] as const;
export type StatementSource = (typeof STATEMENT_SOURCES)[number];

/**
 * How much a statement counts. The customer's own word beats what staff noted, which beats an
 * import, which beats our own inference: a guess must never overwrite what the customer told us.
 */
export const SOURCE_AUTHORITY: Record<StatementSource, number> = {
  web_form: 4,
  sms_reply: 4,
  email_reply: 4,
  // The guest's own words at the desk or on the phone, typed in by staff: still the customer's word.
  customer_told_staff: 4,
  // Staff's own observation or note.
  staff: 3,
  import: 2,
  inferred: 1,
};

/** The locales every question must be written in, so any customer can be asked. */
export const REQUIRED_QUESTION_LOCALES = ['zh-CN', 'en'] as const;

export const MAX_TEXT_VALUE = 1000;
export const MAX_LIST_ENTRIES = 100;

export interface KeyDefinition {
  valueType: PreferenceValueType;
  allowedValues: string[] | null;
  valueLabels: Record<string, Record<string, string>>;
}

const TYPES_WITH_ALLOWED_VALUES: ReadonlySet<PreferenceValueType> = new Set(['choice', 'list']);

/** Why `value` does not fit the key, or null when it does. The message starts with the field name. */
export function valueProblem(key: KeyDefinition, value: unknown, field: string): string | null {
  switch (key.valueType) {
    case 'text':
      return typeof value === 'string' && value.trim().length > 0 && value.length <= MAX_TEXT_VALUE
        ? null
        : `${field} must be a non-empty text of at most ${MAX_TEXT_VALUE} characters`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : `${field} must be a number`;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${field} must be true or false`;
    case 'date':
      return isCalendarDate(value) ? null : `${field} must be a date written YYYY-MM-DD`;
    case 'choice':
      if (typeof value !== 'string') return `${field} must be one of: ${(key.allowedValues ?? []).join(', ')}`;
      return key.allowedValues?.includes(value) ? null : `${field} must be one of: ${(key.allowedValues ?? []).join(', ')}`;
    case 'list':
      return listProblem(key.allowedValues, value, field);
  }
}

function listProblem(allowed: string[] | null, value: unknown, field: string): string | null {
  if (!Array.isArray(value) || value.length > MAX_LIST_ENTRIES || !value.every((v) => typeof v === 'string' && v.length > 0)) {
    return `${field} must be a list of at most ${MAX_LIST_ENTRIES} texts`;
  }
  if (new Set(value).size !== value.length) return `${field} must not repeat an entry`;
  const outside = allowed ? value.filter((v) => !allowed.includes(v)) : [];
  return outside.length > 0 ? `${field} may only contain: ${allowed!.join(', ')} (not ${outside.join(', ')})` : null;
}

export function isCalendarDate(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
}

/**
 * Checks that a key's parts agree with each other: allowed values exist exactly for choice and
 * list keys, and labels are only given for values the key can hold.
 */
export function keyDefinitionProblems(key: KeyDefinition): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const needsAllowed = key.valueType === 'choice';
  const mayHaveAllowed = TYPES_WITH_ALLOWED_VALUES.has(key.valueType);
  if (needsAllowed && (!key.allowedValues || key.allowedValues.length === 0)) {
    problems.push({ field: 'allowedValues', problem: 'allowedValues must list the choices of a choice key' });
  }
  if (!mayHaveAllowed && key.allowedValues !== null) {
    problems.push({ field: 'allowedValues', problem: `allowedValues must be null for a ${key.valueType} key` });
  }
  const labelled = labelledValues(key);
  for (const [locale, labels] of Object.entries(key.valueLabels)) {
    for (const value of Object.keys(labels)) {
      if (!labelled.has(value)) {
        problems.push({
          field: `valueLabels.${locale}.${value}`,
          problem: labelled.size === 0 ? `a ${key.valueType} key without allowed values takes no labels` : `"${value}" is not a value this key can hold`,
        });
      }
    }
  }
  return problems;
}

function labelledValues(key: KeyDefinition): Set<string> {
  if (key.valueType === 'boolean') return new Set(['true', 'false']);
  return new Set(key.allowedValues ?? []);
}

/**
 * The label of a value in a locale, falling back to the same language, then English, then the
 * value itself, so a template always has something to print. Lists read as a sentence.
 */
export function labelFor(key: KeyDefinition, value: PreferenceValue, locale: string): string {
  const chain = labelChain(key.valueLabels, locale);
  const one = (v: string | number | boolean) => {
    for (const labels of chain) if (labels[String(v)] !== undefined) return labels[String(v)];
    return String(v);
  };
  if (Array.isArray(value)) return listFormat(locale).format(value.map(one));
  return one(value);
}

function labelChain(all: Record<string, Record<string, string>>, locale: string): Array<Record<string, string>> {
  const language = locale.split('-')[0];
  const sameLanguage = Object.keys(all).filter((l) => l !== locale && l.split('-')[0] === language);
  return [locale, ...sameLanguage, 'en'].map((l) => all[l]).filter((labels): labels is Record<string, string> => labels !== undefined);
}

const listFormats = new Map<string, Intl.ListFormat>();
function listFormat(locale: string): Intl.ListFormat {
  let format = listFormats.get(locale);
  if (!format) {
    try {
      format = new Intl.ListFormat(locale, { type: 'conjunction' });
    } catch {
      format = new Intl.ListFormat('en', { type: 'conjunction' });
    }
    listFormats.set(locale, format);
  }
  return format;
}
