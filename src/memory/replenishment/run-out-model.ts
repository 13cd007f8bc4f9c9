import { DateTime } from 'luxon';

/**
 * The rice jar: when will this customer run out of this product?
 *
 * The model assumes what the rice seller saw — a household comes back when its jar is (nearly)
 * empty — so whatever was bought at one purchase was eaten by the next:
 *
 * - Purchases less than a day after the previous one are one purchase (a second bag at the same
 *   visit, a forgotten item fetched in the afternoon): their quantities add up, at the first time.
 * - n ≥ 2 purchases: the daily consumption is the quantity bought divided by the days it lasted,
 *   over the whole history except the last purchase (whose jar is still being eaten):
 *       rate = Σ wᵢ·qᵢ / Σ wᵢ·gᵢ     (i = 1 … n−1; gᵢ = days from purchase i to purchase i+1)
 *   With all weights 1 this is exactly (sum of quantities except the last) / (days from the first to
 *   the last purchase). The weights make recent intervals count more, so a household that grows or
 *   shrinks is followed: wᵢ halves every RECENT_HALF_LIFE_INTERVALS intervals back from the newest
 *   (newest 1, three back ½, six back ¼). Weighting the sums rather than averaging per-interval
 *   rates keeps a short, odd interval (a top-up two days after a big purchase) from dominating.
 * - Run-out = last purchase + (last quantity) / rate. A family that bought 10 kg every ~20 days
 *   (0.5 kg/day) and now buys 20 kg runs out ~40 days later.
 * - Carry-over stock is not modelled separately: buying before the jar is empty shortens the
 *   intervals, raises the estimated rate a little and moves the predicted date earlier — the safe
 *   side for a reminder, which should come before the jar is empty, not after.
 * - A single purchase says nothing about the rate: the product's default daily consumption is used
 *   when one was set (PUT /memory/products/:productKey/consumption), otherwise there is no
 *   prediction — better no reminder than a guessed one.
 *
 * Quantities are in the product's own unit (kg of rice, bottles, packs); the rate is that unit per day.
 */

export const RECENT_HALF_LIFE_INTERVALS = 3;
/** Purchases closer together than this are merged into one. */
export const SAME_PURCHASE_WITHIN_DAYS = 1;

export interface ProductPurchase {
  at: Date;
  quantity: number;
}

export interface RunOutEstimate {
  runOutAt: Date;
  /** The UTC calendar day of runOutAt. */
  runOutOn: string;
  dailyConsumption: number;
  /** Purchases (after merging) the estimate rests on. */
  purchasesUsed: number;
  lastPurchaseAt: Date;
  basis: 'history' | 'product_default';
}

export function estimateRunOut(purchases: ProductPurchase[], productDefaultDailyRate: number | null): RunOutEstimate | null {
  const merged = mergeClosePurchases(purchases);
  const last = merged[merged.length - 1];
  if (!last) return null;
  let rate: number | null = null;
  let basis: RunOutEstimate['basis'] = 'history';
  if (merged.length >= 2) {
    rate = weightedRate(merged);
  } else if (productDefaultDailyRate !== null && productDefaultDailyRate > 0) {
    rate = productDefaultDailyRate;
    basis = 'product_default';
  }
  if (rate === null || !Number.isFinite(rate) || rate <= 0) return null;
  const runOut = DateTime.fromJSDate(last.at, { zone: 'utc' }).plus({ milliseconds: Math.round((last.quantity / rate) * DAY_MS) });
  return {
    runOutAt: runOut.toJSDate(),
    runOutOn: runOut.toISODate() as string,
    dailyConsumption: rate,
    purchasesUsed: merged.length,
    lastPurchaseAt: last.at,
    basis,
  };
}

const DAY_MS = 86_400_000;

function weightedRate(purchases: ProductPurchase[]): number | null {
  const intervals = purchases.length - 1;
  let quantity = 0;
  let days = 0;
  for (let i = 0; i < intervals; i++) {
    const weight = Math.pow(0.5, (intervals - 1 - i) / RECENT_HALF_LIFE_INTERVALS);
    quantity += weight * purchases[i].quantity;
    days += (weight * (purchases[i + 1].at.getTime() - purchases[i].at.getTime())) / DAY_MS;
  }
  return days > 0 ? quantity / days : null;
}

/** Sorted by time, with purchases less than SAME_PURCHASE_WITHIN_DAYS after the previous kept one folded into it. */
export function mergeClosePurchases(purchases: ProductPurchase[]): ProductPurchase[] {
  const sorted = purchases.filter((p) => p.quantity > 0).sort((a, b) => a.at.getTime() - b.at.getTime());
  const merged: ProductPurchase[] = [];
  for (const purchase of sorted) {
    const previous = merged[merged.length - 1];
    if (previous && purchase.at.getTime() - previous.at.getTime() < SAME_PURCHASE_WITHIN_DAYS * DAY_MS) {
      previous.quantity += purchase.quantity;
    } else {
      merged.push({ at: purchase.at, quantity: purchase.quantity });
    }
  }
  return merged;
}

/** The estimate of each (contact, product) that has one; `defaultRates` by product key. */
export function estimatePairs<P extends { contactId: string; productKey: string; purchases: ProductPurchase[] }>(
  pairs: P[],
  defaultRates: Map<string, number>,
): Array<{ contactId: string; productKey: string; estimate: RunOutEstimate }> {
  const estimates: Array<{ contactId: string; productKey: string; estimate: RunOutEstimate }> = [];
  for (const pair of pairs) {
    const estimate = estimateRunOut(pair.purchases, defaultRates.get(pair.productKey) ?? null);
    if (estimate) estimates.push({ contactId: pair.contactId, productKey: pair.productKey, estimate });
  }
  return estimates;
}
