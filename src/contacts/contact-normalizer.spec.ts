import { normalizeContactInput } from './contact-normalizer';
import { ContactInputDto } from './dto/contact-input.dto';

const normalize = (input: Partial<ContactInputDto>, defaultRegion?: string) => normalizeContactInput(input as ContactInputDto, defaultRegion);
const phoneOf = (phone: string, options: { country?: string; defaultRegion?: string } = {}) => {
  const { value, problems } = normalize({ phone, ...(options.country ? { address: { country: options.country } } : {}) }, options.defaultRegion);
  return problems.length > 0 ? problems : value.phone;
};

describe('normalizeContactInput: phone numbers as E.164', () => {
  it.each([
    ['+86 138 0013 8000', {}, '+8613800138000'],
    ['138 0013 8000', { defaultRegion: 'CN' }, '+8613800138000'],
    ['13800138000', { country: 'CN' }, '+8613800138000'],
    ['010 6552 9988', { defaultRegion: 'CN' }, '+861065529988'],
    ['+1 650 253 0000', {}, '+16502530000'],
    ['(650) 253-0000', { defaultRegion: 'US' }, '+16502530000'],
    ['1-650-253-0000', { country: 'US' }, '+16502530000'],
    ['+49 30 123456', {}, '+4930123456'],
    ['030 123456', { country: 'DE' }, '+4930123456'],
    ['0049 30 123456', { defaultRegion: 'DE' }, '+4930123456'],
    ['0151 23456789', { defaultRegion: 'DE' }, '+4915123456789'],
    ['+86 138 0013 8000', { country: 'DE', defaultRegion: 'US' }, '+8613800138000'],
  ])('%s with %j → %s', (phone, options, e164) => {
    expect(phoneOf(phone, options)).toBe(e164);
  });

  it("reads a local number by the address's country before the default region", () => {
    expect(phoneOf('030 123456', { country: 'DE', defaultRegion: 'CN' })).toBe('+4930123456');
  });

  it('asks for the country code when there is no region to read a local number in', () => {
    expect(phoneOf('138 0013 8000')).toEqual([
      { field: 'phone', problem: 'phone is not a valid phone number (write it with its country code, e.g. +86…)' },
    ]);
  });

  it('treats a country without its own numbering plan like no region at all, instead of failing', () => {
    expect(phoneOf('12345678', { country: 'AQ', defaultRegion: 'CN' })).toEqual([
      { field: 'phone', problem: 'phone is not a valid phone number (write it with its country code, e.g. +86…)' },
    ]);
  });

  it('refuses numbers that cannot exist', () => {
    expect(phoneOf('12345', { defaultRegion: 'CN' })).toEqual([{ field: 'phone', problem: 'phone is not a valid phone number' }]);
    expect(phoneOf('+86 138', {})).toEqual([expect.objectContaining({ field: 'phone' })]);
    expect(phoneOf('030 123456', { defaultRegion: 'CN' })).toEqual([expect.objectContaining({ field: 'phone' })]);
  });

  it('leaves a cleared phone (null) cleared', () => {
    expect(normalize({ phone: null }, 'CN')).toEqual({ value: { phone: null }, problems: [] });
  });
});

describe('normalizeContactInput: other fields', () => {
  it('lower-cases e-mail and writes locale and time zone canonically', () => {
    const { value, problems } = normalize({ email: ' Wang.Fang@Example.COM ', locale: 'zh-hant-tw', timeZone: 'asia/shanghai' });
    expect(problems).toEqual([]);
    expect(value).toEqual({ email: 'wang.fang@example.com', locale: 'zh-Hant-TW', timeZone: 'Asia/Shanghai' });
  });

  it('requires the lunar month and day together', () => {
    expect(normalize({ lunarBirthdayMonth: 8, lunarBirthdayDay: 15 }).problems).toEqual([]);
    expect(normalize({ lunarBirthdayDay: 15 }).problems).toEqual([
      { field: 'lunarBirthdayDay', problem: 'lunarBirthdayMonth and lunarBirthdayDay must be given together' },
    ]);
    expect(normalize({ lunarBirthdayMonth: null, lunarBirthdayDay: null }).problems).toEqual([]);
  });

  it('returns a new object and leaves the input as it was', () => {
    const input = { email: 'A@B.CN', phone: '138 0013 8000' };
    normalize(input, 'CN');
    expect(input).toEqual({ email: 'A@B.CN', phone: '138 0013 8000' });
  });
});
