import { CHANNELS as CONSENT_CHANNELS } from '../../contacts/consent-event.entity';
import { INTERACTION_KINDS } from '../../memory/interactions/interaction-rules';
import { ABC_CLASSES, FREQUENCY_CLASSES, LOYALTY_STAGES } from '../../memory/value/value-rules';

/**
 * Everything a rule may name. The compiler only ever writes identifiers found here into SQL; a name
 * a client sends is looked up in these tables and never copied into the statement.
 */

/** How a value is compared; decides which operators make sense and what a value must look like. */
export type ValueKind =
  /** Free text: compared without regard to case. */
  | 'text'
  /** A code from a fixed set (ABC class, a choice preference): compared exactly. */
  | 'code'
  | 'number'
  /** A calendar date, written YYYY-MM-DD. */
  | 'date'
  /** An instant; values are ISO 8601 (a bare date means its midnight UTC). */
  | 'timestamp'
  | 'boolean'
  /** A set of texts (contact tags, a list preference). */
  | 'set';

export const OPS = [
  'eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', 'exists', 'not_exists',
  'gt', 'gte', 'lt', 'lte', 'between', 'within_days', 'older_than_days', 'has', 'has_any', 'has_all',
] as const;
export type Op = (typeof OPS)[number];

export const OPS_BY_KIND: Record<ValueKind, readonly Op[]> = {
  text: ['eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', 'exists', 'not_exists'],
  code: ['eq', 'neq', 'in', 'not_in', 'exists', 'not_exists'],
  number: ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'not_exists'],
  date: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'not_exists'],
  timestamp: ['gt', 'gte', 'lt', 'lte', 'between', 'within_days', 'older_than_days', 'exists', 'not_exists'],
  boolean: ['eq', 'neq', 'exists', 'not_exists'],
  set: ['has', 'has_any', 'has_all', 'exists', 'not_exists'],
};

/**
 * Operators that are the exact complement of another: the compiler writes NOT(positive), and every
 * positive condition is TRUE or FALSE (never NULL), so `neq` also matches a contact without the
 * value and `{ not: X }` is always the rest of the base.
 */
export const NEGATED: Partial<Record<Op, Op>> = { neq: 'eq', not_in: 'in', not_exists: 'exists' };

export interface ContactFieldDef {
  kind: ValueKind;
  /** SQL over `c` (contacts), fixed text. */
  sql: string;
}

export const CONTACT_FIELDS: Record<string, ContactFieldDef> = {
  external_id: { kind: 'text', sql: 'c.external_id' },
  given_name: { kind: 'text', sql: 'c.given_name' },
  family_name: { kind: 'text', sql: 'c.family_name' },
  email: { kind: 'text', sql: 'c.email' },
  phone: { kind: 'text', sql: 'c.phone' },
  locale: { kind: 'text', sql: 'c.locale' },
  time_zone: { kind: 'text', sql: 'c.time_zone' },
  country: { kind: 'text', sql: `(c.address ->> 'country')` },
  city: { kind: 'text', sql: `(c.address ->> 'city')` },
  birthday: { kind: 'date', sql: 'c.birthday' },
  created_at: { kind: 'timestamp', sql: 'c.created_at' },
  tags: { kind: 'set', sql: 'c.tags' },
};

/** How the caller says what an attribute holds; without `type` it follows the JSON type of the value. */
export const ATTRIBUTE_TYPES = ['text', 'number', 'date', 'boolean'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

export interface MetricDef {
  kind: ValueKind;
  /** An expression over `cv` (the contact's contact_value row); `$now` is replaced by the now placeholder. */
  sql: string;
  /** The value of a contact without a contact_value row (never computed), as SQL; null when unknown. */
  missing: string | null;
  values?: readonly string[];
  /** The type values are bound as when it is not the kind's own, so the column's statistics and index apply. */
  cast?: string;
}

/**
 * The derived value of a contact (src/memory/value), by contact_value column name. The class
 * columns and money are as stored by the last computation (per interaction and daily for the base);
 * `recency_days` is counted from `last_visit_at` to the rule's `now`, with the value layer's
 * arithmetic (whole 24-hour periods), so a segment evaluated for a later send date sees the silence
 * grow. A contact never computed has bought nothing: 0, `potential`, RFM `111`.
 */
export const METRICS: Record<string, MetricDef> = {
  recency_days: { kind: 'number', sql: `greatest(0, floor(extract(epoch FROM ($now - cv.last_visit_at)) / 86400))`, missing: null },
  frequency_12m: { kind: 'number', sql: 'cv.frequency_12m', missing: '0' },
  monetary_12m: { kind: 'number', sql: 'cv.monetary_12m', missing: '0' },
  monetary_total: { kind: 'number', sql: 'cv.monetary_total', missing: '0' },
  lifetime_value: { kind: 'number', sql: 'cv.lifetime_value', missing: null },
  rfm_score: { kind: 'code', sql: `coalesce(cv.rfm_score, '111')`, missing: `'111'` },
  rfm_recency: { kind: 'number', sql: rfmDigit(1), missing: '1' },
  rfm_frequency: { kind: 'number', sql: rfmDigit(2), missing: '1' },
  rfm_monetary: { kind: 'number', sql: rfmDigit(3), missing: '1' },
  abc_class: { kind: 'code', sql: 'cv.abc_class', missing: null, values: ABC_CLASSES, cast: 'bpchar' },
  loyalty_stage: { kind: 'code', sql: `coalesce(cv.loyalty_stage, 'potential')`, missing: `'potential'`, values: LOYALTY_STAGES },
  frequency_class: { kind: 'code', sql: 'cv.frequency_class', missing: null, values: FREQUENCY_CLASSES },
  first_purchase_at: { kind: 'timestamp', sql: 'cv.first_purchase_at', missing: null },
  last_purchase_at: { kind: 'timestamp', sql: 'cv.last_purchase_at', missing: null },
  last_visit_at: { kind: 'timestamp', sql: 'cv.last_visit_at', missing: null },
};

function rfmDigit(position: number): string {
  return `(CASE WHEN coalesce(cv.rfm_score, '111') ~ '^[1-5]{3}$' THEN substr(coalesce(cv.rfm_score, '111'), ${position}, 1)::int END)`;
}

export const EVENT_KINDS = INTERACTION_KINDS;
export const COUNT_OPS = ['eq', 'gt', 'gte', 'lt', 'lte', 'between'] as const satisfies readonly Op[];
export type CountOp = (typeof COUNT_OPS)[number];

export { CONSENT_CHANNELS };
/** `none`: no consent event on the channel at all. */
export const CONSENT_STATUSES = ['granted', 'revoked', 'none'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** The keys that pick what a condition looks at; exactly one per condition. */
export const SUBJECT_KEYS = ['field', 'attribute', 'preference', 'metric', 'event', 'consent'] as const;
export type SubjectKey = (typeof SUBJECT_KEYS)[number];

export const GROUP_KEYS = ['all', 'any', 'not'] as const;

/**
 * Limits that keep one rule from becoming an expensive statement. The depth stays below what the
 * request parser lets through (src/common/errors/raw-input.ts: 16 JSON levels, two per all/any
 * level), so a rule that is too deep is reported by this validator with its own message.
 */
export const RULE_LIMITS = {
  maxDepth: 6,
  maxNodes: 200,
  maxListValues: 500,
  maxText: 1000,
  maxDays: 36_500,
  maxCount: 1_000_000,
  maxAttributeKey: 100,
} as const;
