import { findRawInputProblems, MAX_INPUT_DEPTH, MAX_REPORTED_PROBLEMS } from './raw-input';

describe('findRawInputProblems', () => {
  it('finds nothing in ordinary input, Chinese text and emoji included', () => {
    expect(findRawInputProblems({ givenName: '伟', note: 'happy 🎂', tags: ['vip'], address: { country: 'CN' }, n: 1, ok: null })).toEqual([]);
    expect(findRawInputProblems(undefined)).toEqual([]);
  });

  it('refuses keys that reach a prototype, at any depth, naming where they are', () => {
    const body = JSON.parse('{"__proto__":{"admin":true},"attributes":{"constructor":{"x":1},"list":[{"prototype":1}]}}');
    expect(findRawInputProblems(body)).toEqual([
      { field: '__proto__', problem: 'unknown field' },
      { field: 'attributes.constructor', problem: 'unknown field' },
      { field: 'attributes.list[0].prototype', problem: 'unknown field' },
    ]);
  });

  it('refuses text PostgreSQL cannot store: NUL and lone surrogates, in values and in keys', () => {
    expect(findRawInputProblems({ givenName: 'Wei\u0000', attributes: { note: 'a\ud800b', ['k\u0000']: 1 }, q: '\udc00' })).toEqual([
      { field: 'givenName', problem: 'givenName must not contain the NUL character (\\u0000)' },
      { field: 'attributes.note', problem: 'attributes.note must be valid Unicode text (it contains a lone surrogate)' },
      { field: 'attributes', problem: 'a field name must not contain the NUL character (\\u0000)' },
      { field: 'q', problem: 'q must be valid Unicode text (it contains a lone surrogate)' },
    ]);
  });

  it(`refuses nesting deeper than ${MAX_INPUT_DEPTH} levels without recursing into it`, () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const [problem, ...rest] = findRawInputProblems(deep);
    expect(rest).toEqual([]);
    expect(problem.field.split('.')).toHaveLength(MAX_INPUT_DEPTH);
    expect(problem.problem).toMatch(/nested more than 16 levels deep$/);

    let allowed: unknown = 1;
    for (let i = 0; i < MAX_INPUT_DEPTH; i++) allowed = { a: allowed };
    expect(findRawInputProblems(allowed)).toEqual([]);
  });

  it(`reports at most ${MAX_REPORTED_PROBLEMS} problems, however many there are`, () => {
    const body = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, '\u0000']));
    expect(findRawInputProblems(body)).toHaveLength(MAX_REPORTED_PROBLEMS);
  });
});

describe('findRawInputProblems of a single named value', () => {
  it('names the value itself, as @Body("name") or @Query("q") hands it over', () => {
    expect(findRawInputProblems('a\u0000b', 'q')).toEqual([{ field: 'q', problem: 'q must not contain the NUL character (\\u0000)' }]);
    expect(findRawInputProblems({ x: '\u0000' }, 'filter')).toEqual([{ field: 'filter.x', problem: 'filter.x must not contain the NUL character (\\u0000)' }]);
  });
});
