import { csvRowToInput, resolveCsvHeader } from './csv-columns';
import { changedValues, StoredContact } from './contact-changes';

describe('CSV columns', () => {
  it('accepts camelCase, snake_case and any letter case for the same column', () => {
    const { columns, problems } = resolveCsvHeader(['external_id', 'GivenName', 'time_zone', 'address.house_number', 'Consent.SMS', 'attributes.Tier']);
    expect(problems).toEqual([]);
    expect(columns).toEqual([
      { kind: 'text', field: 'externalId' },
      { kind: 'text', field: 'givenName' },
      { kind: 'text', field: 'timeZone' },
      { kind: 'address', part: 'houseNumber' },
      { kind: 'consent', channel: 'sms' },
      { kind: 'attribute', name: 'Tier' },
    ]);
  });

  it('names every column it cannot import: unknown, unnamed, repeated, or reaching a prototype', () => {
    const { problems } = resolveCsvHeader(['email', 'emial', '', 'e_mail', 'attributes.__proto__', 'consent.fax']);
    expect(problems).toEqual([
      { field: 'emial', problem: 'unknown column' },
      { field: 'column 3', problem: 'the column has no name' },
      { field: 'e_mail', problem: 'the same column as column 1' },
      { field: 'attributes.__proto__', problem: 'unknown column' },
      { field: 'consent.fax', problem: 'unknown column' },
    ]);
  });

  it('reads a row in the API shape, leaving empty cells out', () => {
    const { columns } = resolveCsvHeader(['email', 'tags', 'lunarBirthdayMonth', 'lunarBirthdayLeap', 'address.country', 'attributes.car', 'consent.email', 'phone']);
    expect(csvRowToInput(columns, ['a@b.cn', ' vip | owner;;x ', '5', 'yes', 'CN', 'X5', 'FALSE', '  '])).toEqual({
      value: { email: 'a@b.cn', tags: ['vip', 'owner', 'x'], lunarBirthdayMonth: 5, lunarBirthdayLeap: true, address: { country: 'CN' }, attributes: { car: 'X5' }, consent: { email: { granted: false } } },
      problems: [],
    });
    expect(csvRowToInput(columns, ['a@b.cn'])).toEqual({ problems: [{ field: 'row', problem: 'the row has 1 fields; the header has 8' }] });
    expect(csvRowToInput(columns, ['a@b.cn', '', '', '', '', '', 'perhaps', '']).problems).toEqual([
      { field: 'consent.email', problem: 'consent.email must be true or false' },
    ]);
  });
});

describe('changes an import makes to a stored contact', () => {
  const stored: StoredContact = {
    id: 'c1', version: '812', externalId: 'x1', givenName: 'Wei', familyName: 'Li', formOfAddress: null, email: 'wei@example.com', phone: null,
    address: { country: 'CN', city: 'Shanghai' }, locale: 'zh-CN', timeZone: 'Asia/Shanghai', birthday: '1980-05-17',
    lunarBirthdayMonth: null, lunarBirthdayDay: null, lunarBirthdayLeap: false, tags: ['vip'], attributes: { tier: 'gold', car: 'X5' },
  };

  it('is nothing when the row repeats what is stored, whatever the key order', () => {
    expect(changedValues(stored, { givenName: 'Wei', address: { city: 'Shanghai', country: 'CN' }, attributes: { car: 'X5' }, tags: ['vip'] })).toBeNull();
  });

  it('holds only the columns that differ, merging attributes and replacing the address', () => {
    expect(changedValues(stored, { givenName: 'Wei', familyName: 'Wang', attributes: { tier: 'platinum' }, address: { country: 'CN' } })).toEqual({
      id: 'c1',
      version: '812',
      family_name: 'Wang',
      attributes: { tier: 'platinum', car: 'X5' },
      address: { country: 'CN' },
    });
  });
});
