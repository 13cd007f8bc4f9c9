import { compileRule } from './segment-rule.compiler';
import { PreferenceKeyInfo } from './segment-rule.types';
import { checkRule } from './segment-rule.validator';

const KEYS = new Map<string, PreferenceKeyInfo>([['drink', { valueType: 'choice', allowedValues: ['tea', 'coffee'] }]]);
const NOW = new Date('2027-03-01T08:00:00Z');

function compile(rule: unknown, paramOffset = 0) {
  const checked = checkRule(rule, KEYS);
  if (!checked.rule) throw new Error(JSON.stringify(checked.problems));
  return compileRule(checked.rule, { now: NOW, paramOffset });
}

const HOSTILE = "x'); DELETE FROM contacts; --";

describe('segment rule compiler', () => {
  it('puts every value in a parameter and none in the SQL text', () => {
    const { where, params } = compile({
      any: [
        { field: 'given_name', op: 'contains', value: HOSTILE },
        { field: 'tags', op: 'has', value: HOSTILE },
        { attribute: HOSTILE, op: 'eq', value: HOSTILE },
        { attribute: 'mileage', type: 'number', op: 'gt', value: 12345.5 },
        { event: 'purchase', product: [HOSTILE, 'tyres'], within_days: 77 },
        { preference: 'drink', op: 'eq', value: 'coffee' },
      ],
    });
    expect(where).not.toContain('DELETE');
    expect(where).not.toContain('12345');
    expect(where).not.toContain('77');
    expect(where).not.toContain('coffee');
    expect(where).not.toContain('tyres');
    expect(params).toEqual(expect.arrayContaining([HOSTILE, 12345.5, [HOSTILE, 'tyres'], 77, 'coffee', NOW.toISOString()]));
  });

  it('numbers placeholders after the caller\'s own and binds `now` once', () => {
    const { where, params } = compile(
      { all: [{ event: 'service_visit', none_within_days: 60 }, { metric: 'recency_days', op: 'lt', value: 30 }, { field: 'created_at', op: 'within_days', value: 7 }] },
      3,
    );
    const used = [...new Set([...where.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
    expect(used).toEqual(Array.from({ length: params.length }, (_, i) => i + 4));
    expect(params.filter((p) => p === NOW.toISOString())).toHaveLength(1);
    expect(where).not.toMatch(/now\(\)|current_timestamp|current_date/i);
  });

  it('always leaves out deleted, erased and unconfirmed (pending) contacts', () => {
    expect(compile({ all: [] })).toEqual({ where: "c.deleted_at IS NULL AND c.erased_at IS NULL AND c.status = 'active'", params: [] });
    expect(compile({ not: { field: 'locale', op: 'exists' } }).where).toMatch(/^c\.deleted_at IS NULL AND c\.erased_at IS NULL AND c\.status = 'active' AND /);
  });

  it('writes a negative operator as the NOT of its positive', () => {
    const positive = compile({ field: 'locale', op: 'eq', value: 'en' });
    const negative = compile({ field: 'locale', op: 'neq', value: 'en' });
    const notted = compile({ not: { field: 'locale', op: 'eq', value: 'en' } });
    const body = (w: string) => w.replace("c.deleted_at IS NULL AND c.erased_at IS NULL AND c.status = 'active' AND ", '');
    expect(body(negative.where)).toBe(`(NOT ${body(positive.where)})`);
    expect(notted).toEqual(negative);
  });
});
