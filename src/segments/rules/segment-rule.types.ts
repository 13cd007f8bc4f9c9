import type { AttributeType, ConsentStatus, CountOp, Op, ValueKind } from './segment-rule.catalog';

/**
 * A rule after validation: every name resolved against the catalog, every value checked and
 * normalised. Only this form reaches the compiler, so the compiler never sees unchecked input.
 */
export type CheckedRule =
  | { kind: 'all'; rules: CheckedRule[] }
  | { kind: 'any'; rules: CheckedRule[] }
  | { kind: 'not'; rule: CheckedRule }
  | CheckedComparison
  | CheckedEvent
  | CheckedConsent;

/** Where a compared value comes from. */
export type ValueSource =
  | { from: 'field'; name: string }
  | { from: 'attribute'; key: string; type: AttributeType }
  | { from: 'preference'; key: string }
  | { from: 'metric'; name: string };

/** A scalar as the compiler binds it: texts, numbers, booleans; dates and instants as ISO text. */
export type Scalar = string | number | boolean;

export interface CheckedComparison {
  kind: 'compare';
  source: ValueSource;
  valueKind: ValueKind;
  op: Op;
  /** Absent for exists / not_exists; a list for in, not_in, has_any, has_all, between. */
  value?: Scalar | Scalar[];
}

export interface CheckedEvent {
  kind: 'event';
  event: string;
  /** Only for purchases: any of these product keys. */
  products: string[] | null;
  window: { days: number } | null;
  /** true for `none_within_days`: no such event in the window. */
  absent: boolean;
  count: { op: CountOp; value: number | [number, number] } | null;
}

export interface CheckedConsent {
  kind: 'consent';
  channel: string;
  status: ConsentStatus;
}

/** What the validator needs to know about a preference key (from preference_keys). */
export interface PreferenceKeyInfo {
  valueType: 'text' | 'number' | 'boolean' | 'date' | 'choice' | 'list';
  allowedValues: string[] | null;
}
