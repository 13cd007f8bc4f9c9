import fc from 'fast-check';
import { DateTime } from 'luxon';
import { deriveContactValue, valueChanges } from './contact-value.derive';
import { classifyGap, frequencyClass, loyaltyStage, PurchaseHistory, rfmScore, valueCalendar } from './value-rules';

const now = new Date('2026-06-30T12:00:00Z');
const calendar = valueCalendar(now);
const ago = (days: number) => DateTime.fromJSDate(now).minus({ days }).toJSDate();

describe('visit-frequency class', () => {
  it('classes the typical gap: ≤ 10 days heavy, ≤ 45 medium, ≤ 200 light, beyond lapsed', () => {
    expect([7, 10, 11, 30, 45, 46, 182, 200, 201].map(classifyGap)).toEqual([
      'heavy', 'heavy', 'medium', 'medium', 'medium', 'light', 'light', 'light', 'lapsed',
    ]);
  });

  it('uses the median gap while the customer keeps coming', () => {
    expect(frequencyClass({ visitDays: 52, medianGapDays: 7, daysSinceLastVisit: 3 })).toBe('heavy');
    expect(frequencyClass({ visitDays: 12, medianGapDays: 30, daysSinceLastVisit: 20 })).toBe('medium');
    expect(frequencyClass({ visitDays: 3, medianGapDays: 180, daysSinceLastVisit: 10 })).toBe('light');
    expect(frequencyClass({ visitDays: 3, medianGapDays: 300, daysSinceLastVisit: 10 })).toBe('lapsed');
  });

  it('turns a heavy customer who stops coming medium, then light, then lapsed', () => {
    const weekly = { visitDays: 52, medianGapDays: 7 };
    expect(frequencyClass({ ...weekly, daysSinceLastVisit: 10 })).toBe('heavy');
    expect(frequencyClass({ ...weekly, daysSinceLastVisit: 30 })).toBe('medium');
    expect(frequencyClass({ ...weekly, daysSinceLastVisit: 60 })).toBe('light');
    expect(frequencyClass({ ...weekly, daysSinceLastVisit: 250 })).toBe('lapsed');
  });

  it('calls one visit light until it is 200 days old, and no visit nothing', () => {
    expect(frequencyClass({ visitDays: 1, medianGapDays: null, daysSinceLastVisit: 2 })).toBe('light');
    expect(frequencyClass({ visitDays: 1, medianGapDays: null, daysSinceLastVisit: 201 })).toBe('lapsed');
    expect(frequencyClass({ visitDays: 0, medianGapDays: null, daysSinceLastVisit: null })).toBeNull();
    expect(frequencyClass({ visitDays: 5, medianGapDays: null, daysSinceLastVisit: 400 })).toBe('lapsed');
  });
});

describe('loyalty stage', () => {
  const history = (h: Partial<PurchaseHistory>): PurchaseHistory => ({
    purchasesTotal: 0, purchases12m: 0, purchasesPrevious12m: 0, firstPurchaseAt: null, ...h,
  });
  const longStanding = history({ purchasesTotal: 100, purchases12m: 50, purchasesPrevious12m: 50, firstPurchaseAt: ago(800) });

  it('is potential without a purchase', () => {
    expect(loyaltyStage(history({}), null, null, calendar)).toBe('potential');
  });

  it('is new with a first purchase under 90 days ago, or a single purchase ever', () => {
    expect(loyaltyStage(history({ purchasesTotal: 6, purchases12m: 6, firstPurchaseAt: ago(89) }), 'heavy', 'A', calendar)).toBe('new');
    expect(loyaltyStage(history({ purchasesTotal: 1, purchases12m: 0, firstPurchaseAt: ago(1000) }), 'lapsed', 'C', calendar)).toBe('new');
  });

  it('is regular with two purchases in 12 months once past the first 90 days', () => {
    expect(loyaltyStage(history({ purchasesTotal: 2, purchases12m: 2, firstPurchaseAt: ago(90) }), 'light', 'C', calendar)).toBe('regular');
  });

  it('falls back to new for a repeat customer out of the regular rhythm who is not long-standing', () => {
    expect(loyaltyStage(history({ purchasesTotal: 5, purchases12m: 1, firstPurchaseAt: ago(500) }), 'light', 'C', calendar)).toBe('new');
  });

  it('is long_standing after 2 years with purchases in each of the last two years', () => {
    expect(loyaltyStage(longStanding, 'light', 'A', calendar)).toBe('long_standing');
    expect(loyaltyStage({ ...longStanding, purchasesPrevious12m: 0 }, 'heavy', 'A', calendar)).toBe('regular');
    expect(loyaltyStage({ ...longStanding, firstPurchaseAt: ago(700) }, 'heavy', 'A', calendar)).toBe('regular');
  });

  it('is loyal only when long-standing, heavy or medium, and an A or B customer', () => {
    expect(loyaltyStage(longStanding, 'heavy', 'A', calendar)).toBe('loyal');
    expect(loyaltyStage(longStanding, 'medium', 'B', calendar)).toBe('loyal');
    expect(loyaltyStage(longStanding, 'medium', 'C', calendar)).toBe('long_standing');
    expect(loyaltyStage(longStanding, 'heavy', null, calendar)).toBe('long_standing');
  });
});

describe('RFM score', () => {
  it('scores by fixed thresholds', () => {
    expect(rfmScore(3, 52, 2600)).toBe('554');
    expect(rfmScore(100, 4, 500)).toBe('333');
    expect(rfmScore(null, 0, 0)).toBe('111');
    expect(rfmScore(400, 1, 99.99)).toBe('111');
  });
});

describe('derived value and its signals', () => {
  const facts = {
    contactId: 'c1', firstPurchaseAt: ago(400), lastPurchaseAt: ago(2), lastVisitAt: ago(2), visitDays: 60, medianGapDays: 7,
    frequency12m: 52, purchasesTotal: 60, purchases12m: 52, purchasesPrevious12m: 8, monetary12m: 2600, monetaryTotal: 3000, abcClass: null,
  };

  it('derives recency, classes, score and lifetime value together', () => {
    expect(deriveContactValue(facts, calendar)).toMatchObject({
      recencyDays: 2, frequencyClass: 'heavy', loyaltyStage: 'regular', rfmScore: '554', lifetimeValue: 26_000,
    });
  });

  it('signals heavy → light once, and nothing when nothing changed', () => {
    const later = DateTime.fromJSDate(now).plus({ days: 60 }).toJSDate();
    const before = deriveContactValue(facts, calendar);
    const after = deriveContactValue(facts, valueCalendar(later));
    const stored = { loyaltyStage: before.loyaltyStage, frequencyClass: before.frequencyClass };
    expect(valueChanges(stored, after)).toEqual([{ contactId: 'c1', dimension: 'frequency_class', from: 'heavy', to: 'light' }]);
    expect(valueChanges({ loyaltyStage: after.loyaltyStage, frequencyClass: after.frequencyClass }, after)).toEqual([]);
  });

  it('signals a first purchase, but nothing for a contact that never bought', () => {
    const first = deriveContactValue({ ...facts, firstPurchaseAt: ago(1), visitDays: 1, purchasesTotal: 1, purchases12m: 1, frequency12m: 1 }, calendar);
    expect(valueChanges(undefined, first).map((c) => `${c.dimension}:${c.from}→${c.to}`)).toEqual(['loyalty_stage:null→new', 'frequency_class:null→light']);
    const none = deriveContactValue({ ...facts, firstPurchaseAt: null, lastPurchaseAt: null, lastVisitAt: null, visitDays: 0, purchasesTotal: 0, purchases12m: 0, frequency12m: 0 }, calendar);
    expect(valueChanges(undefined, none)).toEqual([]);
  });
});

describe('value calendar', () => {
  it('steps back 12 months, 2 years and 90 days exactly as luxon does from the instant itself, leap days included', () => {
    const fromInstant = (at: Date) => {
      const utc = DateTime.fromJSDate(at, { zone: 'utc' });
      return { yearAgo: utc.minus({ months: 12 }).toJSDate(), twoYearsAgo: utc.minus({ years: 2 }).toJSDate(), newCustomerSince: utc.minus({ days: 90 }).toJSDate() };
    };
    fc.assert(
      fc.property(fc.date({ min: new Date('1972-01-01T00:00:00Z'), max: new Date('2100-12-31T23:59:59.999Z'), noInvalidDate: true }), (at) => {
        const { now, ...steps } = valueCalendar(at);
        expect(now).toBe(at);
        expect(steps).toEqual(fromInstant(at));
      }),
      { numRuns: 2_000 },
    );
    for (const at of ['2028-02-29T23:59:59.999Z', '2028-02-29T00:00:00.000Z', '2029-03-01T00:00:00.000Z', '2030-02-28T13:14:15.016Z']) {
      const { now: _now, ...steps } = valueCalendar(new Date(at));
      expect(steps).toEqual(fromInstant(new Date(at)));
    }
  });
});
