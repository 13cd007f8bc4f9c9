import { randomUUID } from 'node:crypto';

let sequence = 0;

/** A valid, unique contact body for POST /contacts. Pass fields to override. */
export function contactInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence++;
  const unique = `${randomUUID().slice(0, 8)}${sequence}`;
  // Unique mobile numbers in China's 138 range: +86 138 xxxx xxxx.
  const digits = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  return {
    externalId: `ext-${unique}`,
    givenName: 'Wei',
    familyName: `Li${sequence}`,
    formOfAddress: 'Mr Li',
    email: `wei.li.${unique}@example.com`,
    phone: `+86138${digits}`,
    address: { street: 'Nanjing Road', houseNumber: '100', postcode: '200001', city: 'Shanghai', country: 'CN' },
    locale: 'zh-CN',
    timeZone: 'Asia/Shanghai',
    birthday: '1980-05-17',
    tags: ['owner'],
    attributes: { tier: 'gold', car: 'X5' },
    ...overrides,
  };
}
