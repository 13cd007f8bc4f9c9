import { isChinese } from './helpers/render-scope';

/**
 * What a preview renders when no contact is given: a plausible customer in the template's
 * language, so every variable has something to show. Fields of `overrides.contact` replace single
 * fields of the sample contact; other top-level keys replace whole values.
 */
export function sampleContext(locale: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const chinese = isChinese(locale);
  const base = {
    contact: {
      id: '00000000-0000-4000-8000-000000000000',
      givenName: chinese ? '伟' : 'Wei',
      familyName: chinese ? '李' : 'Li',
      formOfAddress: chinese ? '李先生' : 'Mr Li',
      locale,
      timeZone: chinese ? 'Asia/Shanghai' : 'America/New_York',
      birthday: '1980-05-17',
      lunarBirthday: null,
      address: chinese
        ? { street: '南京东路', houseNumber: '100号', postcode: '200001', city: '上海市', country: 'CN' }
        : { street: 'Peachtree Street NE', houseNumber: '191', postcode: '30303', city: 'Atlanta', state: 'GA', country: 'US' },
      attributes: { tier: 'gold' },
    },
    locale,
    prefs: { drink: 'tea' },
    prefLabels: { drink: chinese ? '茶' : 'tea' },
    value: null,
    openTopic: null,
  };
  const contact = typeof overrides.contact === 'object' && overrides.contact !== null && !Array.isArray(overrides.contact)
    ? { ...base.contact, ...(overrides.contact as Record<string, unknown>) }
    : base.contact;
  return { ...base, ...overrides, contact };
}
