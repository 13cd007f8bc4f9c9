import { RULE_LIMITS } from './segment-rule.catalog';
import { PreferenceKeyInfo } from './segment-rule.types';
import { checkRule } from './segment-rule.validator';

const KEYS = new Map<string, PreferenceKeyInfo>([
  ['drink', { valueType: 'choice', allowedValues: ['tea', 'coffee', 'juice', 'water', 'none'] }],
  ['topics', { valueType: 'list', allowedValues: ['care', 'news', 'offers', 'events'] }],
  ['shoe_size', { valueType: 'number', allowedValues: null }],
]);

const problems = (rule: unknown) => checkRule(rule, KEYS).problems;

/** Nests `leaf` inside `levels` all-groups. */
function nested(levels: number, leaf: unknown): unknown {
  let rule = leaf;
  for (let i = 0; i < levels; i++) rule = { all: [rule] };
  return rule;
}

describe('segment rule validator', () => {
  it('accepts a rule using every kind of condition and resolves it for the compiler', () => {
    const result = checkRule(
      {
        all: [
          { field: 'locale', op: 'eq', value: 'zh-CN' },
          { field: 'tags', op: 'has_any', value: ['vip', 'bmw'] },
          { attribute: 'mileage', op: 'gte', value: 20000 },
          { attribute: 'delivered_on', type: 'date', op: 'between', value: ['2024-01-01', '2024-12-31'] },
          { preference: 'drink', op: 'in', value: ['tea', 'coffee'] },
          { preference: 'topics', op: 'has', value: 'care' },
          { any: [{ metric: 'rfm_score', op: 'eq', value: '555' }, { metric: 'abc_class', op: 'eq', value: 'A' }] },
          { event: 'purchase', product: 'oil-change', within_days: 90, count: { op: 'gte', value: 2 } },
          { not: { event: 'service_visit', within_days: 60 } },
          { consent: 'email', status: 'granted' },
        ],
      },
      KEYS,
    );
    expect(result.problems).toEqual([]);
    const rule = result.rule as { kind: 'all'; rules: unknown[] };
    expect(rule.kind).toBe('all');
    expect(rule.rules[2]).toEqual({ kind: 'compare', source: { from: 'attribute', key: 'mileage', type: 'number' }, valueKind: 'number', op: 'gte', value: 20000 });
    expect(rule.rules[7]).toEqual({ kind: 'event', event: 'purchase', products: ['oil-change'], window: { days: 90 }, absent: false, count: { op: 'gte', value: 2 } });
  });

  it('names the node of an operator that does not fit the field', () => {
    expect(problems({ all: [{ field: 'locale', op: 'eq', value: 'en' }, { field: 'city', op: 'exists' }, { field: 'tags', op: 'gt', value: 'a' }] })).toEqual([
      { field: 'rule.all[2].op', problem: "op 'gt' is not allowed for field 'tags'; use one of has, has_any, has_all, exists, not_exists" },
    ]);
  });

  it('names unknown fields, metrics, events, preference keys and consent channels', () => {
    expect(problems({ any: [
      { field: 'salary', op: 'eq', value: 'x' },
      { metric: 'rfm_segment', op: 'eq', value: 'x' },
      { event: 'visit', within_days: 3 },
      { preference: 'colour', op: 'exists' },
      { consent: 'fax', status: 'granted' },
    ] }).map((p) => p.field)).toEqual(['rule.any[0].field', 'rule.any[1].metric', 'rule.any[2].event', 'rule.any[3].preference', 'rule.any[4].consent']);
  });

  it('refuses identifiers that are not in the catalog, including prototype names and SQL', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'locale; DROP TABLE contacts', 'c.locale', 'LOCALE']) {
      expect(problems({ field: name, op: 'exists' })).toEqual([{ field: 'rule.field', problem: expect.stringContaining('unknown field') }]);
      expect(problems({ metric: name, op: 'exists' })).toEqual([{ field: 'rule.metric', problem: expect.stringContaining('unknown metric') }]);
    }
    expect(problems({ attribute: 'car', type: 'numeric); DROP TABLE x; --', op: 'eq', value: 1 })).toEqual([
      { field: 'rule.type', problem: 'type must be one of text, number, date, boolean' },
    ]);
  });

  it('checks the type of each value against what it is compared with', () => {
    expect(problems({ all: [
      { metric: 'monetary_12m', op: 'gte', value: '500' },
      { field: 'birthday', op: 'lt', value: '1990-02-30' },
      { field: 'created_at', op: 'gt', value: 'yesterday' },
      { metric: 'abc_class', op: 'eq', value: 'D' },
      { preference: 'drink', op: 'eq', value: 'beer' },
      { field: 'locale', op: 'in', value: [] },
      { field: 'locale', op: 'in', value: ['en', 3] },
      { metric: 'recency_days', op: 'between', value: [30, 10] },
      { field: 'created_at', op: 'within_days', value: 1.5 },
      { field: 'city', op: 'exists', value: 'Berlin' },
      { field: 'city', op: 'contains' },
      { field: 'birthday', op: 'gt', value: '0000-01-01' },
      { field: 'created_at', op: 'gt', value: '0001-01-01T00:30:00+01:00' },
    ] })).toEqual([
      { field: 'rule.all[0].value', problem: "value must be a number for metric 'monetary_12m'" },
      { field: 'rule.all[1].value', problem: "value must be a date written YYYY-MM-DD for field 'birthday'" },
      { field: 'rule.all[2].value', problem: expect.stringContaining("ISO 8601 time with its offset for field 'created_at'") },
      { field: 'rule.all[3].value', problem: "value 'D' is not one of metric 'abc_class''s values: A, B, C" },
      { field: 'rule.all[4].value', problem: "value 'beer' is not one of preference 'drink' (choice)'s values: tea, coffee, juice, water, none" },
      { field: 'rule.all[5].value', problem: 'value must be a list of 1 to 500 values' },
      { field: 'rule.all[6].value[1]', problem: "value must be a non-empty text of at most 1000 characters for field 'locale'" },
      { field: 'rule.all[7].value', problem: 'the first value of between must not be greater than the second' },
      { field: 'rule.all[8].value', problem: 'value must be a whole number of days from 1 to 36500' },
      { field: 'rule.all[9].value', problem: "op 'exists' takes no value" },
      { field: 'rule.all[10].value', problem: "value is required for op 'contains'" },
      { field: 'rule.all[11].value', problem: "value must be a date written YYYY-MM-DD for field 'birthday'" },
      { field: 'rule.all[12].value', problem: expect.stringContaining('ISO 8601') },
    ]);
  });

  it('takes the type of an attribute from the caller, or from the value', () => {
    const typed = (rule: unknown) => (checkRule(rule, KEYS).rule as { source: { type: string } }).source.type;
    expect(typed({ attribute: 'year', op: 'eq', value: 2019 })).toBe('number');
    expect(typed({ attribute: 'year', op: 'eq', value: '2019' })).toBe('text');
    expect(typed({ attribute: 'year', type: 'number', op: 'in', value: [2019, 2020] })).toBe('number');
    expect(typed({ attribute: 'trial', op: 'eq', value: false })).toBe('boolean');
    expect(problems({ attribute: 'year', type: 'number', op: 'eq', value: '2019' })).toEqual([
      { field: 'rule.value', problem: "value must be a number for attribute 'year' (number)" },
    ]);
    expect(problems({ attribute: 'car', op: 'contains', value: 5 })).toEqual([
      { field: 'rule.op', problem: expect.stringContaining("op 'contains' is not allowed for attribute 'car' (number)") },
    ]);
  });

  it('checks event conditions', () => {
    expect(problems({ all: [
      { event: 'service_visit', product: 'x', within_days: 10 },
      { event: 'purchase', within_days: 10, none_within_days: 20 },
      { event: 'purchase', none_within_days: 20, count: { op: 'gte', value: 1 } },
      { event: 'purchase', within_days: 0 },
      { event: 'purchase', count: { op: 'gte', value: -1 } },
      { event: 'purchase', count: { op: 'neq', value: 1 } },
      { event: 'purchase', product: ['ok', ''] },
    ] }).map((p) => p.field)).toEqual([
      'rule.all[0].product', 'rule.all[1].none_within_days', 'rule.all[2].count', 'rule.all[3].within_days',
      'rule.all[4].count.value', 'rule.all[5].count.op', 'rule.all[6].product[1]',
    ]);
  });

  it('refuses shapes that are neither a group nor one condition, and unknown keys', () => {
    expect(problems({ all: [null, 'locale', [], {}, { field: 'locale', metric: 'abc_class', op: 'exists' }, { any: [] }, { not: [] }] }).map((p) => p.field)).toEqual([
      'rule.all[0]', 'rule.all[1]', 'rule.all[2]', 'rule.all[3]', 'rule.all[4]', 'rule.all[5].any', 'rule.all[6].not',
    ]);
    expect(problems({ all: [{ field: 'locale', op: 'eq', value: 'en', sql: '1=1' }], or: [] })).toEqual([
      { field: 'rule.or', problem: "unknown key 'or': a group has only the key all" },
    ]);
    expect(problems({ field: 'locale', op: 'eq', value: 'en', sql: '1=1' })).toEqual([
      { field: 'rule.sql', problem: "unknown key 'sql': a field condition has field, op and value" },
    ]);
  });

  it('limits depth and size', () => {
    const leaf = { field: 'locale', op: 'exists' };
    expect(problems(nested(RULE_LIMITS.maxDepth - 1, leaf))).toEqual([]);
    expect(problems(nested(RULE_LIMITS.maxDepth, leaf))).toEqual([
      { field: 'rule' + '.all[0]'.repeat(RULE_LIMITS.maxDepth), problem: `the rule is nested more than ${RULE_LIMITS.maxDepth} levels deep` },
    ]);
    const wide = { any: Array.from({ length: RULE_LIMITS.maxNodes }, () => leaf) };
    expect(problems(wide)).toEqual([{ field: `rule.any[${RULE_LIMITS.maxNodes - 1}]`, problem: `the rule has more than ${RULE_LIMITS.maxNodes} nodes` }]);
    expect(problems({ any: Array.from({ length: RULE_LIMITS.maxNodes - 1 }, () => leaf) })).toEqual([]);
  });

  it('accepts "all of nothing" as the whole base', () => {
    expect(checkRule({ all: [] }, KEYS)).toEqual({ rule: { kind: 'all', rules: [] }, problems: [] });
  });
});
