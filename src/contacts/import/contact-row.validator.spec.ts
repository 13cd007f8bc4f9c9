import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { findRawInputProblems } from '../../common/errors/raw-input';
import { CreateContactDto } from '../dto/contact-input.dto';
import { checkContactRow, passesContactRules } from './contact-row.validator';

/** What the DTO path decides for a row: its problems, and the data it would go on with. */
function throughDto(value: Record<string, unknown>): { problems: number; data: unknown } {
  const dto = plainToInstance(CreateContactDto, value);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  return { problems: errors.length, data: JSON.parse(JSON.stringify(dto)) as unknown };
}

const oneOf = (...values: unknown[]) => fc.constantFrom<unknown>(...values);
/** Mostly a value the rules accept, sometimes one just past them. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: bad });
/** Text near a length limit: inside, on, or just past it (and surrogate pairs, which count once). */
const textUpTo = (max: number, min = 0) =>
  mostly(fc.oneof(fc.string({ minLength: min, maxLength: max }), fc.string({ unit: 'grapheme', minLength: min, maxLength: 3 })), oneOf('', 'x'.repeat(max + 1)));
const consent = fc.record({ granted: mostly(fc.boolean(), oneOf('true')), text: textUpTo(2000), source: textUpTo(100) }, { requiredKeys: ['granted'], noNullPrototype: true });
/** Each field as a file or a JSON line may give it. */
const FIELDS: Record<string, fc.Arbitrary<unknown>> = {
  externalId: textUpTo(100, 1),
  givenName: textUpTo(100, 1),
  familyName: textUpTo(100, 1),
  formOfAddress: textUpTo(100, 1),
  email: mostly(oneOf('wei.li@example.com', 'A.B+tag@sub.example.cn', 'x@example.com'), oneOf('a@b', 'not-an-email', 'x@example.com ', `${'a'.repeat(250)}@example.com`)),
  phone: mostly(oneOf('+86 139 1234 5678', '12345', '+4915112345678'), oneOf('1'.repeat(33))),
  address: fc.record(
    { city: textUpTo(100), street: textUpTo(200), postcode: textUpTo(20), houseNumber: textUpTo(20), country: mostly(oneOf('CN', 'DE'), oneOf('XX', 'cn', 'UK', '')) },
    { requiredKeys: ['country'], noNullPrototype: true },
  ),
  locale: mostly(oneOf('zh-CN', 'en', 'de-de', 'EN-us'), oneOf('en_US', 'x', 'toolong-toolong-toolong-toolong-toolong', '')),
  timeZone: mostly(oneOf('Asia/Shanghai', 'asia/shanghai', 'US/Eastern', 'UTC'), oneOf('Mars/Olympus_Mons', '')),
  birthday: mostly(oneOf('1980-05-17', '2000-02-29', '1900-01-01'), oneOf('1899-12-31', '2999-01-01', '1980-02-30', '17.05.1980')),
  lunarBirthdayMonth: mostly(fc.integer({ min: 1, max: 12 }), fc.oneof(fc.integer({ min: -1, max: 14 }), fc.double(), oneOf('3'))),
  lunarBirthdayDay: mostly(fc.integer({ min: 1, max: 30 }), fc.oneof(fc.integer({ min: -1, max: 32 }), oneOf('3'))),
  lunarBirthdayLeap: mostly(fc.boolean(), oneOf('true')),
  tags: mostly(fc.array(fc.string({ minLength: 1, maxLength: 64 }).filter((t) => !t.includes(',')), { maxLength: 4 }), oneOf(['a,b'], [''], 'vip')),
  attributes: mostly(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { noNullPrototype: true }), oneOf({ big: 'x'.repeat(17_000) }, ['x'])),
  consent: fc.record({ email: consent, sms: consent, mail: consent }, { requiredKeys: [], noNullPrototype: true }),
};
/** What the quick way must leave to the DTO: nulls, wrong types, unknown keys, nested strangers. */
const odd = fc.oneof(oneOf(null, undefined, 1.5, true, [], {}), fc.string());
const row = fc
  .tuple(
    fc.record(FIELDS, { requiredKeys: [], noNullPrototype: true }),
    fc.option(fc.tuple(fc.constantFrom(...Object.keys(FIELDS), 'unknownField', 'toString', 'hasOwnProperty'), odd), { freq: 3 }),
    fc.option(fc.constantFrom('address', 'consent'), { freq: 4 }),
  )
  .map(([base, oddity, stranger]) => {
    const value: Record<string, unknown> = { ...base, ...(oddity ? { [oddity[0]]: oddity[1] } : {}) };
    if (stranger && typeof value[stranger] === 'object' && value[stranger] !== null) value[stranger] = { ...(value[stranger] as object), planet: 'Mars' };
    return value;
  });

describe('contact row checks', () => {
  it('accept a row only where the DTO accepts it, with the same data', () => {
    let quick = 0;
    fc.assert(
      fc.property(row, (value) => {
        // checkContactRow refuses raw-input problems (inherited names, NUL …) before either way.
        if (findRawInputProblems(value).length > 0 || !passesContactRules(value)) return;
        quick++;
        const dto = throughDto(value);
        expect(dto.problems).toBe(0);
        expect(dto.data).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 5000 },
    );
    // The generator must reach the quick way often enough for the comparison to mean something.
    expect(quick).toBeGreaterThan(100);
  });

  it('take the quick way for the rows of an ordinary file, and word problems as the API does', () => {
    const value = {
      externalId: 'c-1', givenName: 'Wei', familyName: 'Li', email: 'Wei.Li@Example.com', phone: '+86 139 1234 5678', locale: 'zh-CN',
      timeZone: 'Asia/Shanghai', birthday: '1980-05-17', tags: ['owner', 'vip'], address: { city: 'Shanghai', country: 'CN' },
      attributes: { tier: 'gold' }, consent: { email: { granted: true } },
    };
    expect(passesContactRules(value)).toBe(true);
    expect(checkContactRow(2, value, undefined)).toEqual({
      line: 2,
      valid: {
        line: 2,
        fields: {
          externalId: 'c-1', givenName: 'Wei', familyName: 'Li', email: 'wei.li@example.com', phone: '+8613912345678', locale: 'zh-CN',
          timeZone: 'Asia/Shanghai', birthday: '1980-05-17', tags: ['owner', 'vip'], address: { city: 'Shanghai', country: 'CN' }, attributes: { tier: 'gold' },
        },
        consent: { email: { granted: true } },
      },
    });
    expect(checkContactRow(3, { ...value, email: 'not-an-email', timeZone: 'Mars/Olympus_Mons' }, undefined)).toEqual({
      line: 3,
      problems: [
        { field: 'email', problem: 'email must be a valid e-mail address' },
        { field: 'timeZone', problem: 'timeZone must be an IANA time zone such as Asia/Shanghai' },
      ],
    });
  });

  it('refuse a key every object inherits, at any depth, on both ways, naming it', () => {
    // Found by the property above: the DTO dropped `attributes.valueOf` without a word while the quick way stored it.
    for (const [attributes, path] of [
      [{ valueOf: 0 }, 'attributes.valueOf'],
      [{ shoe: { size: 42, hasOwnProperty: 'x' } }, 'attributes.shoe.hasOwnProperty'],
      [{ list: [{ toString: 'x' }] }, 'attributes.list[0].toString'],
    ] as Array<[Record<string, unknown>, string]>) {
      const value = { givenName: 'Wei', email: 'wei.li@example.com', attributes };
      expect(checkContactRow(4, value, undefined).problems).toEqual([{ field: path, problem: expect.stringContaining('is a name every object inherits') }]);
    }
    const attributes = { value: 1, toStringy: 2, nested: { of: 'ok' } };
    expect(checkContactRow(5, { givenName: 'Wei', email: 'wei.li@example.com', attributes }, undefined)).toMatchObject({ valid: { fields: { attributes } } });
  });
});
