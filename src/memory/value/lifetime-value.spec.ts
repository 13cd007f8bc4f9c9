import {
  EXPECTED_RELATIONSHIP_YEARS,
  estimatedLifetimeValue,
  lifetimeValue,
  lifetimeValueWithWordOfMouth,
  wordOfMouthCustomerEquivalents,
} from './lifetime-value';

describe('lifetime value', () => {
  it('is the MISSION example exactly: 50 a week for 10 years is 26,000', () => {
    expect(lifetimeValue(50, 52, 10)).toBe(26_000);
    expect(EXPECTED_RELATIONSHIP_YEARS).toBe(10);
  });

  it('estimates a weekly 50 spender of more than a year at 26,000', () => {
    expect(
      estimatedLifetimeValue({ purchases12m: 52, monetary12m: 2600, purchasesTotal: 120, monetaryTotal: 6000, daysAsCustomer: 800 }),
    ).toBe(26_000);
  });

  it('annualises a customer younger than a year, but over no less than 90 days', () => {
    // 13 weekly purchases of 50 in the first 91 days: 13 × 365 / 91 = 52.14 a year.
    const young = estimatedLifetimeValue({ purchases12m: 13, monetary12m: 650, purchasesTotal: 13, monetaryTotal: 650, daysAsCustomer: 91 });
    expect(young).toBeCloseTo((50 * 13 * 365 * 10) / 91, 2);
    // Two purchases in the first week do not become a hundred a year: 2 × 365 / 90.
    const week = estimatedLifetimeValue({ purchases12m: 2, monetary12m: 100, purchasesTotal: 2, monetaryTotal: 100, daysAsCustomer: 7 });
    expect(week).toBeCloseTo((50 * 2 * 365 * 10) / 90, 2);
  });

  it('is 0 for a potential customer and for one who has not bought for a year', () => {
    expect(estimatedLifetimeValue({ purchases12m: 0, monetary12m: 0, purchasesTotal: 0, monetaryTotal: 0, daysAsCustomer: null })).toBe(0);
    expect(estimatedLifetimeValue({ purchases12m: 0, monetary12m: 0, purchasesTotal: 9, monetaryTotal: 900, daysAsCustomer: 900 })).toBe(0);
  });
});

describe('word of mouth', () => {
  it('adds one customer-equivalent for a satisfied customer and removes two for an unhappy one', () => {
    expect(wordOfMouthCustomerEquivalents('satisfied')).toBe(1);
    expect(wordOfMouthCustomerEquivalents('unhappy')).toBe(-2);
    expect(wordOfMouthCustomerEquivalents('neutral')).toBe(0);
  });

  it('turns the 26,000 customer into 52,000 when satisfied and −26,000 when unhappy', () => {
    expect(lifetimeValueWithWordOfMouth(26_000, 'satisfied')).toBe(52_000);
    expect(lifetimeValueWithWordOfMouth(26_000, 'unhappy')).toBe(-26_000);
    expect(lifetimeValueWithWordOfMouth(26_000, 'neutral')).toBe(26_000);
  });
});
