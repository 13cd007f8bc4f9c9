import { DateTime } from 'luxon';
import { estimateRunOut, mergeClosePurchases, ProductPurchase } from './run-out-model';

const start = DateTime.fromISO('2026-01-05T10:00:00Z', { zone: 'utc' });
const DAY_MS = 86_400_000;
const daysBetween = (a: Date, b: Date) => (b.getTime() - a.getTime()) / DAY_MS;

/**
 * A household eating `rate` per day from a jar that starts empty. Before each purchase the jar holds
 * `leftovers[i]` (0 = they come back exactly when it is empty). Returns the purchases and the true
 * moment the jar runs empty after the last one.
 */
function household(rate: number, quantities: number[], leftovers: number[] = []) {
  const purchases: ProductPurchase[] = [];
  let at = start;
  let stock = 0;
  quantities.forEach((quantity, i) => {
    purchases.push({ at: at.toJSDate(), quantity });
    stock += quantity;
    if (i < quantities.length - 1) {
      const left = leftovers[i] ?? 0;
      at = at.plus({ milliseconds: Math.round(((stock - left) / rate) * DAY_MS) });
      stock = left;
    }
  });
  return { purchases, trueRunOut: at.plus({ milliseconds: Math.round((stock / rate) * DAY_MS) }).toJSDate() };
}

describe('run-out model', () => {
  it('finds a constant 0.5 kg/day from varying quantities and the irregular gaps they make', () => {
    const { purchases, trueRunOut } = household(0.5, [10, 5, 20, 8, 15, 12, 25]);
    const estimate = estimateRunOut(purchases, null)!;
    expect(estimate.dailyConsumption).toBeCloseTo(0.5, 9);
    expect(Math.abs(daysBetween(estimate.runOutAt, trueRunOut))).toBeLessThan(1);
    expect(estimate).toMatchObject({ purchasesUsed: 7, basis: 'history' });
  });

  it('stays within a day when the household comes back before the jar is quite empty', () => {
    const { purchases, trueRunOut } = household(0.5, [10, 5, 20, 8, 15, 12, 25, 10], [0.2, 0, 0.4, 0.1, 0.3, 0, 0.25]);
    const gaps = purchases.slice(1).map((p, i) => daysBetween(purchases[i].at, p.at));
    expect(new Set(gaps.map((g) => Math.round(g))).size).toBeGreaterThan(4);
    const estimate = estimateRunOut(purchases, null)!;
    expect(Math.abs(daysBetween(estimate.runOutAt, trueRunOut))).toBeLessThanOrEqual(1);
  });

  it('predicts ~40 days for a family that bought 10 kg every ~20 days and now buys 20 kg', () => {
    const gaps = [19, 22, 20, 18, 21];
    const purchases: ProductPurchase[] = [];
    let at = start;
    for (const gap of gaps) {
      purchases.push({ at: at.toJSDate(), quantity: 10 });
      at = at.plus({ days: gap });
    }
    purchases.push({ at: at.toJSDate(), quantity: 20 });
    const estimate = estimateRunOut(purchases, null)!;
    const days = daysBetween(at.toJSDate(), estimate.runOutAt);
    expect(days).toBeGreaterThan(38);
    expect(days).toBeLessThan(42);
  });

  it('follows a household whose consumption doubled more closely than the plain average would', () => {
    const before = household(0.5, [10, 10, 10, 10]).purchases;
    const lastBefore = before[before.length - 1].at;
    const after = [1, 2, 3, 4].map((k) => ({ at: new Date(lastBefore.getTime() + k * 10 * DAY_MS), quantity: 10 }));
    const estimate = estimateRunOut([...before, ...after], null)!;
    // The plain ratio: 70 kg over 100 days = 0.7; the recent rate is 1.0.
    expect(estimate.dailyConsumption).toBeGreaterThan(0.8);
    expect(estimate.dailyConsumption).toBeLessThan(1);
  });

  it('uses the product default after a single purchase, and predicts nothing without one', () => {
    const single = [{ at: start.toJSDate(), quantity: 5 }];
    const estimate = estimateRunOut(single, 0.25)!;
    expect(estimate).toMatchObject({ basis: 'product_default', dailyConsumption: 0.25, purchasesUsed: 1, runOutOn: '2026-01-25' });
    expect(estimate.runOutAt.toISOString()).toBe('2026-01-25T10:00:00.000Z');
    expect(estimateRunOut(single, null)).toBeNull();
    expect(estimateRunOut([], 0.25)).toBeNull();
  });

  it('takes purchases less than a day apart as one', () => {
    const merged = mergeClosePurchases([
      { at: start.plus({ hours: 6 }).toJSDate(), quantity: 2 },
      { at: start.toJSDate(), quantity: 5 },
      { at: start.plus({ days: 10 }).toJSDate(), quantity: 5 },
    ]);
    expect(merged).toEqual([
      { at: start.toJSDate(), quantity: 7 },
      { at: start.plus({ days: 10 }).toJSDate(), quantity: 5 },
    ]);
    // Two bags bought the same morning are one purchase: a default is needed to predict anything.
    expect(estimateRunOut([{ at: start.toJSDate(), quantity: 5 }, { at: start.plus({ hours: 1 }).toJSDate(), quantity: 5 }], null)).toBeNull();
  });
});
