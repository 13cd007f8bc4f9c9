import { DateTime } from 'luxon';
import { ErrorDetail } from '../../common/errors/api-error';
import { fieldPath } from '../../common/errors/field-path';
import { MAX_REPORTED_PROBLEMS } from '../../common/errors/raw-input';
import { isCalendarDate } from '../../memory/preferences/preference-rules';
import {
  ATTRIBUTE_TYPES,
  AttributeType,
  CONSENT_CHANNELS,
  CONSENT_STATUSES,
  ConsentStatus,
  CONTACT_FIELDS,
  COUNT_OPS,
  CountOp,
  EVENT_KINDS,
  GROUP_KEYS,
  METRICS,
  Op,
  OPS,
  OPS_BY_KIND,
  RULE_LIMITS,
  SUBJECT_KEYS,
  ValueKind,
} from './segment-rule.catalog';
import { CheckedComparison, CheckedRule, PreferenceKeyInfo, Scalar, ValueSource } from './segment-rule.types';

export interface RuleCheck {
  /** The checked rule, or null when there are problems. */
  rule: CheckedRule | null;
  problems: ErrorDetail[];
}

/**
 * Checks a rule as sent by a client and resolves it for the compiler. A recursive tree does not fit
 * class-validator's decorators, so this walks it by hand: every problem names the node by its JSON
 * path (`rule.all[2].op`), several problems are reported at once, and a tree that is too deep or too
 * large is refused before anything is compiled.
 */
export function checkRule(raw: unknown, preferenceKeys: ReadonlyMap<string, PreferenceKeyInfo>, path = 'rule'): RuleCheck {
  const walker = new RuleWalker(preferenceKeys);
  const rule = walker.node(raw, path, 1);
  return { rule: walker.problems.length === 0 ? rule : null, problems: walker.problems.slice(0, MAX_REPORTED_PROBLEMS) };
}

const has = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const quote = (value: unknown) => (typeof value === 'string' ? `'${value.length > 60 ? value.slice(0, 60) + '…' : value}'` : JSON.stringify(value));
/** `rule.all[0].within_days` → `within_days`: problems start with the name of what is wrong. */
const leaf = (path: string) => path.slice(path.lastIndexOf('.') + 1);
const NODE_SHAPE = 'a rule must be an object: a group (all, any, not) or a condition (field, attribute, preference, metric, event, consent)';

class RuleWalker {
  readonly problems: ErrorDetail[] = [];
  private nodes = 0;
  private tooLarge = false;

  constructor(private readonly preferenceKeys: ReadonlyMap<string, PreferenceKeyInfo>) {}

  node(raw: unknown, path: string, depth: number): CheckedRule | null {
    if (this.problems.length >= MAX_REPORTED_PROBLEMS) return null;
    this.nodes++;
    if (this.nodes > RULE_LIMITS.maxNodes) {
      if (!this.tooLarge) this.problem(path, `the rule has more than ${RULE_LIMITS.maxNodes} nodes`);
      this.tooLarge = true;
      return null;
    }
    if (depth > RULE_LIMITS.maxDepth) {
      this.problem(path, `the rule is nested more than ${RULE_LIMITS.maxDepth} levels deep`);
      return null;
    }
    if (!isObject(raw)) return this.problem(path, NODE_SHAPE);
    const groupKeys = GROUP_KEYS.filter((k) => has(raw, k));
    const subjects = SUBJECT_KEYS.filter((k) => has(raw, k));
    if (groupKeys.length + subjects.length === 0) return this.problem(path, NODE_SHAPE);
    if (groupKeys.length + subjects.length > 1) {
      return this.problem(path, `a node is one group or one condition, not ${[...groupKeys, ...subjects].join(' and ')}`);
    }
    if (groupKeys.length === 1) return this.group(raw, groupKeys[0], path, depth);
    return this.condition(raw, subjects[0], path);
  }

  private group(raw: Record<string, unknown>, key: (typeof GROUP_KEYS)[number], path: string, depth: number): CheckedRule | null {
    if (!this.onlyKeys(raw, [key], path, `a group has only the key ${key}`)) return null;
    const at = fieldPath(path, key);
    const inner = raw[key];
    if (key === 'not') {
      const rule = this.node(inner, at, depth + 1);
      return rule && { kind: 'not', rule };
    }
    if (!Array.isArray(inner)) return this.problem(at, `${key} must be a list of rules`);
    // "all of nothing" is every live contact (a broadcast to the whole base); "any of nothing" would
    // silently be nobody, which is never what was meant.
    if (key === 'any' && inner.length === 0) return this.problem(at, 'any needs at least one rule');
    const rules = inner.map((child, i) => this.node(child, fieldPath(at, String(i)), depth + 1));
    if (rules.some((r) => r === null)) return null;
    return { kind: key, rules: rules as CheckedRule[] };
  }

  private condition(raw: Record<string, unknown>, subject: (typeof SUBJECT_KEYS)[number], path: string): CheckedRule | null {
    switch (subject) {
      case 'field':
        return this.fieldCondition(raw, path);
      case 'attribute':
        return this.attributeCondition(raw, path);
      case 'preference':
        return this.preferenceCondition(raw, path);
      case 'metric':
        return this.metricCondition(raw, path);
      case 'event':
        return this.eventCondition(raw, path);
      case 'consent':
        return this.consentCondition(raw, path);
    }
  }

  private fieldCondition(raw: Record<string, unknown>, path: string): CheckedRule | null {
    const keysOk = this.onlyKeys(raw, ['field', 'op', 'value'], path, 'a field condition has field, op and value');
    const name = raw.field;
    if (typeof name !== 'string' || !Object.hasOwn(CONTACT_FIELDS, name)) {
      return this.problem(fieldPath(path, 'field'), `unknown field ${quote(name)}; fields are ${Object.keys(CONTACT_FIELDS).join(', ')}`);
    }
    if (!keysOk) return null;
    return this.comparison(raw, path, { from: 'field', name }, CONTACT_FIELDS[name].kind, `field '${name}'`);
  }

  private attributeCondition(raw: Record<string, unknown>, path: string): CheckedRule | null {
    const keysOk = this.onlyKeys(raw, ['attribute', 'type', 'op', 'value'], path, 'an attribute condition has attribute, type, op and value');
    const key = raw.attribute;
    if (typeof key !== 'string' || key.length === 0 || key.length > RULE_LIMITS.maxAttributeKey) {
      return this.problem(fieldPath(path, 'attribute'), `attribute must be the name of a custom attribute (1 to ${RULE_LIMITS.maxAttributeKey} characters)`);
    }
    let type: AttributeType;
    if (has(raw, 'type')) {
      if (!(ATTRIBUTE_TYPES as readonly unknown[]).includes(raw.type)) {
        return this.problem(fieldPath(path, 'type'), `type must be one of ${ATTRIBUTE_TYPES.join(', ')}`);
      }
      type = raw.type as AttributeType;
    } else {
      type = inferAttributeType(raw.value);
    }
    if (!keysOk) return null;
    return this.comparison(raw, path, { from: 'attribute', key, type }, type, `attribute '${key}' (${type})`);
  }

  private preferenceCondition(raw: Record<string, unknown>, path: string): CheckedRule | null {
    const keysOk = this.onlyKeys(raw, ['preference', 'op', 'value'], path, 'a preference condition has preference, op and value');
    const key = raw.preference;
    const info = typeof key === 'string' ? this.preferenceKeys.get(key) : undefined;
    if (typeof key !== 'string' || !info) return this.problem(fieldPath(path, 'preference'), `unknown preference key ${quote(key)}`);
    if (!keysOk) return null;
    const kind = PREFERENCE_KINDS[info.valueType];
    return this.comparison(raw, path, { from: 'preference', key }, kind, `preference '${key}' (${info.valueType})`, info.allowedValues ?? undefined);
  }

  private metricCondition(raw: Record<string, unknown>, path: string): CheckedRule | null {
    const keysOk = this.onlyKeys(raw, ['metric', 'op', 'value'], path, 'a metric condition has metric, op and value');
    const name = raw.metric;
    if (typeof name !== 'string' || !Object.hasOwn(METRICS, name)) {
      return this.problem(fieldPath(path, 'metric'), `unknown metric ${quote(name)}; metrics are ${Object.keys(METRICS).join(', ')}`);
    }
    if (!keysOk) return null;
    const metric = METRICS[name];
    return this.comparison(raw, path, { from: 'metric', name }, metric.kind, `metric '${name}'`, metric.values);
  }

  private eventCondition(raw: Record<string, unknown>, path: string): CheckedRule | null {
    const keysOk = this.onlyKeys(raw, ['event', 'product', 'within_days', 'none_within_days', 'count'], path,
      'an event condition has event, product, within_days or none_within_days, and count');
    const event = raw.event;
    if (typeof event !== 'string' || !(EVENT_KINDS as readonly string[]).includes(event)) {
      return this.problem(fieldPath(path, 'event'), `unknown event ${quote(event)}; events are ${EVENT_KINDS.join(', ')}`);
    }
    const before = this.problems.length;
    let products: string[] | null = null;
    if (has(raw, 'product')) {
      const at = fieldPath(path, 'product');
      if (event !== 'purchase') this.problem(at, 'product is only for purchase events');
      else products = this.texts(raw.product, at, 200, true);
    }
    if (has(raw, 'within_days') && has(raw, 'none_within_days')) {
      this.problem(fieldPath(path, 'none_within_days'), 'use within_days or none_within_days, not both');
    }
    const windowKey = has(raw, 'none_within_days') ? 'none_within_days' : has(raw, 'within_days') ? 'within_days' : null;
    const days = windowKey === null ? null : this.days(raw[windowKey], fieldPath(path, windowKey));
    let count: { op: CountOp; value: number | [number, number] } | null = null;
    if (has(raw, 'count')) {
      if (windowKey === 'none_within_days') this.problem(fieldPath(path, 'count'), 'count does not go with none_within_days (it means a count of 0)');
      else count = this.count(raw.count, fieldPath(path, 'count'));
    }
    if (!keysOk || this.problems.length > before) return null;
    return { kind: 'event', event, products, window: days === null ? null : { days }, absent: windowKey === 'none_within_days', count };
  }

  private consentCondition(raw: Record<string, unknown>, path: string): CheckedRule | null {
    const keysOk = this.onlyKeys(raw, ['consent', 'status'], path, 'a consent condition has consent and status');
    const channel = raw.consent;
    if (typeof channel !== 'string' || !(CONSENT_CHANNELS as readonly string[]).includes(channel)) {
      return this.problem(fieldPath(path, 'consent'), `unknown consent channel ${quote(channel)}; channels are ${CONSENT_CHANNELS.join(', ')}`);
    }
    if (!(CONSENT_STATUSES as readonly unknown[]).includes(raw.status)) {
      return this.problem(fieldPath(path, 'status'), `status must be one of ${CONSENT_STATUSES.join(', ')} (none: no consent event at all)`);
    }
    if (!keysOk) return null;
    return { kind: 'consent', channel, status: raw.status as ConsentStatus };
  }

  /** op and value of a comparison against a value of `kind`. */
  private comparison(
    raw: Record<string, unknown>,
    path: string,
    source: ValueSource,
    kind: ValueKind,
    subject: string,
    allowed?: readonly string[],
  ): CheckedComparison | null {
    const opPath = fieldPath(path, 'op');
    const op = raw.op;
    if (!has(raw, 'op')) return this.problem(opPath, `op is required; for ${subject} it is one of ${OPS_BY_KIND[kind].join(', ')}`);
    if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) return this.problem(opPath, `unknown op ${quote(op)}`);
    if (!OPS_BY_KIND[kind].includes(op as Op)) {
      return this.problem(opPath, `op '${op}' is not allowed for ${subject}; use one of ${OPS_BY_KIND[kind].join(', ')}`);
    }
    const valuePath = fieldPath(path, 'value');
    if (op === 'exists' || op === 'not_exists') {
      if (has(raw, 'value')) return this.problem(valuePath, `op '${op}' takes no value`);
      return { kind: 'compare', source, valueKind: kind, op };
    }
    if (!has(raw, 'value')) return this.problem(valuePath, `value is required for op '${op}'`);
    const value = this.operand(raw.value, op as Op, kind, valuePath, subject, allowed);
    return value === null ? null : { kind: 'compare', source, valueKind: kind, op: op as Op, value };
  }

  private operand(value: unknown, op: Op, kind: ValueKind, path: string, subject: string, allowed?: readonly string[]): Scalar | Scalar[] | null {
    switch (op) {
      case 'within_days':
      case 'older_than_days':
        return this.days(value, path);
      case 'in':
      case 'not_in':
      case 'has_any':
      case 'has_all':
        return this.list(value, path, (v, at) => this.scalar(v, kind, at, subject, allowed));
      case 'between': {
        if (!Array.isArray(value) || value.length !== 2) return this.problem(path, 'value must be a list of two values [from, to]');
        const low = this.scalar(value[0], kind, fieldPath(path, '0'), subject, allowed);
        const high = this.scalar(value[1], kind, fieldPath(path, '1'), subject, allowed);
        if (low === null || high === null) return null;
        if (compareScalars(kind, low, high) > 0) return this.problem(path, 'the first value of between must not be greater than the second');
        return [low, high];
      }
      default:
        return this.scalar(value, kind, path, subject, allowed);
    }
  }

  private scalar(value: unknown, kind: ValueKind, path: string, subject: string, allowed?: readonly string[]): Scalar | null {
    switch (kind) {
      case 'text':
      case 'set':
      case 'code': {
        if (typeof value !== 'string' || value.trim().length === 0 || value.length > RULE_LIMITS.maxText) {
          return this.problem(path, `value must be a non-empty text of at most ${RULE_LIMITS.maxText} characters for ${subject}`);
        }
        if (allowed && !allowed.includes(value)) return this.problem(path, `value ${quote(value)} is not one of ${subject}'s values: ${allowed.join(', ')}`);
        return value;
      }
      case 'number':
        return typeof value === 'number' && Number.isFinite(value) ? value : this.problem(path, `value must be a number for ${subject}`);
      case 'boolean':
        return typeof value === 'boolean' ? value : this.problem(path, `value must be true or false for ${subject}`);
      case 'date':
        // PostgreSQL has no year 0.
        return isCalendarDate(value) && !value.startsWith('0000') ? value : this.problem(path, `value must be a date written YYYY-MM-DD for ${subject}`);
      case 'timestamp': {
        const instant = parseInstant(value);
        return instant ?? this.problem(path, `value must be a date (YYYY-MM-DD) or an ISO 8601 time with its offset for ${subject}`);
      }
    }
  }

  private list<T>(value: unknown, path: string, item: (v: unknown, at: string) => T | null): T[] | null {
    if (!Array.isArray(value) || value.length === 0 || value.length > RULE_LIMITS.maxListValues) {
      return this.problem(path, `value must be a list of 1 to ${RULE_LIMITS.maxListValues} values`);
    }
    const items = value.map((v, i) => item(v, fieldPath(path, String(i))));
    return items.some((v) => v === null) ? null : (items as T[]);
  }

  private texts(value: unknown, path: string, maxLength: number, allowSingle: boolean): string[] | null {
    const ok = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= maxLength;
    const problem = `${leaf(path)} must be a text of 1 to ${maxLength} characters, or a list of them`;
    if (allowSingle && typeof value === 'string') return ok(value) ? [value] : this.problem(path, problem);
    return this.list(value, path, (v, at) => (ok(v) ? (v as string) : this.problem(at, problem)));
  }

  private days(value: unknown, path: string): number | null {
    return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= RULE_LIMITS.maxDays
      ? (value as number)
      : this.problem(path, `${leaf(path)} must be a whole number of days from 1 to ${RULE_LIMITS.maxDays}`);
  }

  private count(raw: unknown, path: string): { op: CountOp; value: number | [number, number] } | null {
    if (!isObject(raw)) return this.problem(path, `count must be an object { op, value } with op one of ${COUNT_OPS.join(', ')}`);
    if (!this.onlyKeys(raw, ['op', 'value'], path, 'count has op and value')) return null;
    if (!(COUNT_OPS as readonly unknown[]).includes(raw.op)) return this.problem(fieldPath(path, 'op'), `count op must be one of ${COUNT_OPS.join(', ')}`);
    const op = raw.op as CountOp;
    const valuePath = fieldPath(path, 'value');
    const whole = (v: unknown, at: string) =>
      Number.isInteger(v) && (v as number) >= 0 && (v as number) <= RULE_LIMITS.maxCount
        ? (v as number)
        : this.problem(at, `count value must be a whole number from 0 to ${RULE_LIMITS.maxCount}`);
    if (op === 'between') {
      if (!Array.isArray(raw.value) || raw.value.length !== 2) return this.problem(valuePath, 'value must be a list of two numbers [from, to]');
      const low = whole(raw.value[0], fieldPath(valuePath, '0'));
      const high = whole(raw.value[1], fieldPath(valuePath, '1'));
      if (low === null || high === null) return null;
      if (low > high) return this.problem(valuePath, 'the first value of between must not be greater than the second');
      return { op, value: [low, high] };
    }
    const value = whole(raw.value, valuePath);
    return value === null ? null : { op, value };
  }

  /** Reports every key outside `allowed`; true when there is none. */
  private onlyKeys(raw: Record<string, unknown>, allowed: readonly string[], path: string, hint: string): boolean {
    const unknown = Object.keys(raw).filter((k) => !allowed.includes(k));
    for (const key of unknown) this.problem(fieldPath(path, key), `unknown key ${quote(key)}: ${hint}`);
    return unknown.length === 0;
  }

  private problem(field: string, problem: string): null {
    if (this.problems.length < MAX_REPORTED_PROBLEMS) this.problems.push({ field, problem });
    return null;
  }
}

const PREFERENCE_KINDS: Record<PreferenceKeyInfo['valueType'], ValueKind> = {
  text: 'text',
  number: 'number',
  boolean: 'boolean',
  date: 'date',
  choice: 'code',
  list: 'set',
};

/** Without `type`, an attribute is compared as what the value looks like: 42 as a number, true as a boolean. */
function inferAttributeType(value: unknown): AttributeType {
  const sample = Array.isArray(value) ? value[0] : value;
  if (typeof sample === 'number') return 'number';
  if (typeof sample === 'boolean') return 'boolean';
  return 'text';
}

const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO 8601 instant as canonical UTC text; a bare date is its midnight UTC. */
export function parseInstant(value: unknown): string | null {
  if (typeof value !== 'string' || !INSTANT.test(value)) return null;
  const parsed = DateTime.fromISO(value, { zone: 'utc', setZone: false }).toUTC();
  // PostgreSQL has no year 0.
  return parsed.isValid && parsed.year >= 1 ? parsed.toISO() : null;
}

function compareScalars(kind: ValueKind, a: Scalar, b: Scalar): number {
  if (kind === 'number') return (a as number) - (b as number);
  if (kind === 'timestamp') return Date.parse(a as string) - Date.parse(b as string);
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}
