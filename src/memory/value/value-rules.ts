import { DateTime } from 'luxon';

/**
 * The rules that turn a customer's history into the classes marketing acts on. Pure functions with
 * their thresholds in one place, so the listener, the daily base job and the unit tests agree.
 */

export const ABC_CLASSES = ['A', 'B', 'C'] as const;
export type AbcClass = (typeof ABC_CLASSES)[number];

export const FREQUENCY_CLASSES = ['heavy', 'medium', 'light', 'lapsed'] as const;
export type FrequencyClass = (typeof FREQUENCY_CLASSES)[number];

export const LOYALTY_STAGES = ['potential', 'new', 'regular', 'long_standing', 'loyal'] as const;
export type LoyaltyStage = (typeof LOYALTY_STAGES)[number];

/**
 * The fast-food chain's scheme: the longest typical gap between visits, in days, for each class.
 * heavy ≈ weekly, medium ≈ monthly, light ≈ half-yearly; anything rarer is lapsed.
 */
export const FREQUENCY_MAX_GAP_DAYS = { heavy: 10, medium: 45, light: 200 } as const;

/** A first purchase younger than this makes a customer new, whatever they bought since. */
export const NEW_CUSTOMER_DAYS = 90;
/** Purchases in the trailing 12 months that make a customer regular. */
export const REGULAR_MIN_PURCHASES_12M = 2;
/** Years as a customer, with purchases in each of them, that make a customer long-standing. */
export const LONG_STANDING_YEARS = 2;

/**
 * The dates a computation at `now` compares against, worked out once per batch by the calendar
 * (luxon: "12 months ago" is the same day of the month, leap years included).
 */
export interface ValueCalendar {
  now: Date;
  /** now − 12 months: the trailing year is (yearAgo, now]. */
  yearAgo: Date;
  /** now − 24 months: the year before is (twoYearsAgo, yearAgo]. */
  twoYearsAgo: Date;
  /** A first purchase after this makes a customer new. */
  newCustomerSince: Date;
}

const DAY_MS = 86_400_000;

/** The calendar of the UTC day asked for last: every recording of a day shares it. */
let lastDay: { start: number; yearAgo: number; twoYearsAgo: number; newCustomerSince: number } | null = null;

/**
 * UTC has no daylight saving time, so stepping back whole months, years or days from an instant is
 * stepping back from its day's midnight and adding the same time of day: luxon works each day out
 * once, not on every recorded interaction (where it was a few percent of the request's CPU).
 */
export function valueCalendar(now: Date): ValueCalendar {
  const start = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  if (lastDay?.start !== start) {
    const midnight = DateTime.fromMillis(start, { zone: 'utc' });
    lastDay = {
      start,
      yearAgo: midnight.minus({ months: 12 }).toMillis(),
      twoYearsAgo: midnight.minus({ years: LONG_STANDING_YEARS }).toMillis(),
      newCustomerSince: midnight.minus({ days: NEW_CUSTOMER_DAYS }).toMillis(),
    };
  }
  const timeOfDay = now.getTime() - start;
  return {
    now,
    yearAgo: new Date(lastDay.yearAgo + timeOfDay),
    twoYearsAgo: new Date(lastDay.twoYearsAgo + timeOfDay),
    newCustomerSince: new Date(lastDay.newCustomerSince + timeOfDay),
  };
}

export function classifyGap(days: number): FrequencyClass {
  if (days <= FREQUENCY_MAX_GAP_DAYS.heavy) return 'heavy';
  if (days <= FREQUENCY_MAX_GAP_DAYS.medium) return 'medium';
  if (days <= FREQUENCY_MAX_GAP_DAYS.light) return 'light';
  return 'lapsed';
}

export interface VisitRhythm {
  /** Distinct days (UTC) with a purchase or a service visit, ever. */
  visitDays: number;
  /** Median gap in days between consecutive visit days, over gaps that end in the trailing 12 months. */
  medianGapDays: number | null;
  /** Whole days since the last visit; null without visits. */
  daysSinceLastVisit: number | null;
}

/**
 * The visit-frequency class from the person's own rhythm:
 * - no visit at all: null (not a visitor yet);
 * - a single visit day: light while it is at most 200 days old, then lapsed — one visit tells us
 *   nothing about a rhythm, so it never counts as heavy or medium;
 * - otherwise the class of max(median gap over the trailing year, days since the last visit). The
 *   silence since the last visit is a gap that is still open: a weekly customer who has not come for
 *   30 days is medium, after 46 days light, after 201 days lapsed, so stopping shows at once in the
 *   class (and as a value signal). With no gap ending in the trailing year the customer is lapsed.
 */
export function frequencyClass(rhythm: VisitRhythm): FrequencyClass | null {
  if (rhythm.visitDays === 0 || rhythm.daysSinceLastVisit === null) return null;
  if (rhythm.visitDays === 1) return rhythm.daysSinceLastVisit <= FREQUENCY_MAX_GAP_DAYS.light ? 'light' : 'lapsed';
  if (rhythm.medianGapDays === null) return 'lapsed';
  return classifyGap(Math.max(rhythm.medianGapDays, rhythm.daysSinceLastVisit));
}

export interface PurchaseHistory {
  purchasesTotal: number;
  /** Purchases in (now − 12 months, now]. */
  purchases12m: number;
  /** Purchases in (now − 24 months, now − 12 months]. */
  purchasesPrevious12m: number;
  firstPurchaseAt: Date | null;
}

/**
 * The loyalty ladder, checked from the top:
 * - potential: never bought;
 * - loyal: long-standing AND heavy or medium visitor AND an A or B customer (the last base-wide
 *   ABC run; a contact not yet classed counts as C);
 * - long_standing: first purchase at least 2 years ago AND at least one purchase in each of the
 *   last two 12-month periods;
 * - new: first purchase less than 90 days ago, or exactly one purchase ever;
 * - regular: at least 2 purchases in the trailing 12 months;
 * - otherwise new again: a customer who bought more than once but has fallen out of the regular
 *   rhythm has to be won over like a new one (the frequency class says how long they have been away).
 * long_standing and new cannot both hold (2 years vs 90 days, or ≥ 2 purchases vs 1), so the order
 * between them does not matter; new is checked before regular as the issue asks.
 */
export function loyaltyStage(
  history: PurchaseHistory,
  frequency: FrequencyClass | null,
  abc: AbcClass | null,
  calendar: ValueCalendar,
): LoyaltyStage {
  if (history.purchasesTotal === 0 || history.firstPurchaseAt === null) return 'potential';
  const first = history.firstPurchaseAt.getTime();
  const longStanding = first <= calendar.twoYearsAgo.getTime() && history.purchases12m >= 1 && history.purchasesPrevious12m >= 1;
  if (longStanding) {
    const valuable = abc === 'A' || abc === 'B';
    return (frequency === 'heavy' || frequency === 'medium') && valuable ? 'loyal' : 'long_standing';
  }
  if (first > calendar.newCustomerSince.getTime() || history.purchasesTotal === 1) return 'new';
  if (history.purchases12m >= REGULAR_MIN_PURCHASES_12M) return 'regular';
  return 'new';
}

/**
 * RFM with fixed thresholds rather than quintiles, so the listener can score one contact without a
 * base-wide pass and a score means the same thing in every installation and every month. Each
 * letter is 1–5; the score is written "RFM", e.g. "545".
 * - R, days since the last visit: ≤ 30 → 5, ≤ 90 → 4, ≤ 180 → 3, ≤ 365 → 2, else (or never) 1.
 * - F, purchases and visits in 12 months: ≥ 24 → 5 (twice a month), ≥ 12 → 4 (monthly),
 *   ≥ 4 → 3 (quarterly), ≥ 2 → 2, else 1.
 * - M, revenue in 12 months: ≥ 5,000 → 5, ≥ 2,000 → 4 (50 a week is 2,600), ≥ 500 → 3,
 *   ≥ 100 → 2, else 1.
 */
export const RFM_THRESHOLDS = {
  recencyDays: [30, 90, 180, 365],
  frequency12m: [24, 12, 4, 2],
  monetary12m: [5000, 2000, 500, 100],
} as const;

export function rfmScore(recencyDays: number | null, frequency12m: number, monetary12m: number): string {
  const r = recencyDays === null ? 1 : scoreAtMost(recencyDays, RFM_THRESHOLDS.recencyDays);
  const f = scoreAtLeast(frequency12m, RFM_THRESHOLDS.frequency12m);
  const m = scoreAtLeast(monetary12m, RFM_THRESHOLDS.monetary12m);
  return `${r}${f}${m}`;
}

function scoreAtMost(value: number, limits: readonly number[]): number {
  const index = limits.findIndex((limit) => value <= limit);
  return index === -1 ? 1 : 5 - index;
}

function scoreAtLeast(value: number, limits: readonly number[]): number {
  const index = limits.findIndex((limit) => value >= limit);
  return index === -1 ? 1 : 5 - index;
}
