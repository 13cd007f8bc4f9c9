import { envelopeName, formatPostalAddress, missingAddressFields, oneLineAddress } from './postal-address';

describe('postal addresses', () => {
  const shanghai = { street: '南京东路', houseNumber: '100号', district: '黄浦区', city: '上海市', postcode: '200001', country: 'CN' };
  const paloAlto = { street: 'Hamilton Avenue', houseNumber: '301', city: 'Palo Alto', state: 'California', postcode: '94303', country: 'US' };

  it('writes a Chinese address from the postcode down to the house, the name last, without spaces', () => {
    expect(formatPostalAddress('王小明', shanghai, { postedFrom: 'CN' })).toEqual(['200001', '上海市', '黄浦区', '南京东路100号', '王小明']);
  });

  it('writes a US address name first with "City, ST ZIP", and the country only from abroad', () => {
    expect(formatPostalAddress('Jane Doe', paloAlto, { postedFrom: 'US' })).toEqual(['Jane Doe', '301 Hamilton Avenue', 'Palo Alto, CA 94303']);
    expect(formatPostalAddress('Jane Doe', paloAlto, { postedFrom: 'CN' })).toEqual([
      'Jane Doe', '301 Hamilton Avenue', 'Palo Alto, CA 94303', 'United States of America',
    ]);
    expect(formatPostalAddress('Jane Doe', paloAlto, { postedFrom: null })).toContain('United States of America');
  });

  it('puts the flat or building line where the country expects it', () => {
    const lines = formatPostalAddress('李伟', { ...shanghai, extra: '3号楼201室' }, { postedFrom: 'CN' });
    expect(lines.indexOf('3号楼201室')).toBe(lines.indexOf('南京东路100号') + 1);
  });

  it('keeps the German order: street and number, then postcode and city', () => {
    const lines = formatPostalAddress('Hans Müller', { street: 'Hauptstraße', houseNumber: '5', postcode: '10115', city: 'Berlin', country: 'DE' }, { postedFrom: 'CN' });
    expect(lines).toEqual(['Hans Müller', 'Hauptstraße 5', '10115 Berlin', 'Germany']);
    expect(oneLineAddress(lines)).toBe('Hans Müller, Hauptstraße 5, 10115 Berlin, Germany');
  });

  it('names every missing field, and asks for a postcode only where the post uses one', () => {
    expect(missingAddressFields(shanghai)).toEqual([]);
    expect(missingAddressFields({ ...shanghai, postcode: ' ' })).toEqual(['postcode']);
    expect(missingAddressFields({ country: 'US' })).toEqual(['street', 'postcode', 'city']);
    expect(missingAddressFields({ street: 'Des Voeux Road Central 1', city: 'Hong Kong', country: 'HK' })).toEqual([]);
  });

  it('puts a Chinese family name first and a Western given name first', () => {
    expect(envelopeName('小明', '王')).toBe('王小明');
    expect(envelopeName('Jane', 'Doe')).toBe('Jane Doe');
    expect(envelopeName(null, 'Doe')).toBe('Doe');
  });
});
