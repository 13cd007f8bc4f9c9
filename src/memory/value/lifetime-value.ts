/**
 * Customer lifetime value as the MISSION's worked example counts it: what a customer spends per
 * visit, times visits per year, times the years we can expect to keep them.
 * 50 a week for 10 years: 50 × 52 × 10 = 26,000.
 */

/** The relationship length behind the MISSION example; used for every customer. */
export const EXPECTED_RELATIONSHIP_YEARS = 10;

/**
 * A customer younger than a year has not shown a full year of buying; their purchases are
 * annualised over the time they have been a customer, but over no less than this many days, so two
 * purchases in the first week do not extrapolate to a hundred a year.
 */
export const MIN_ANNUALISING_DAYS = 90;

export function lifetimeValue(averageSpendPerVisit: number, visitsPerYear: number, expectedYears: number): number {
  return averageSpendPerVisit * visitsPerYear * expectedYears;
}

export interface SpendHistory {
  purchases12m: number;
  monetary12m: number;
  purchasesTotal: number;
  monetaryTotal: number;
  /** Whole days since the first purchase; null for someone who never bought. */
  daysAsCustomer: number | null;
}

/**
 * The estimate stored per contact, rounded to cents:
 * - average spend per visit = revenue of the trailing 12 months / purchases in them (all-time
 *   averages when nothing was bought in the last 12 months);
 * - visits per year = purchases in the trailing 12 months, annualised for customers younger than a
 *   year (× 365 / max(days as customer, 90)); a customer who has not bought for a year has 0, so
 *   their expected future value is 0;
 * - expected years = EXPECTED_RELATIONSHIP_YEARS (10).
 */
export function estimatedLifetimeValue(history: SpendHistory): number {
  if (history.purchasesTotal === 0 || history.daysAsCustomer === null) return 0;
  const averageSpend =
    history.purchases12m > 0 ? history.monetary12m / history.purchases12m : history.monetaryTotal / history.purchasesTotal;
  const exposureDays = Math.min(365, Math.max(MIN_ANNUALISING_DAYS, history.daysAsCustomer));
  const visitsPerYear = (history.purchases12m * 365) / exposureDays;
  return Math.round(lifetimeValue(averageSpend, visitsPerYear, EXPECTED_RELATIONSHIP_YEARS) * 100) / 100;
}

/**
 * Word of mouth from the MISSION: a satisfied customer tells 5 people, an unhappy one tells 10, and
 * 20 % of those who listen follow. So satisfaction brings about one more customer like this one
 * (5 × 20 % = 1) and unhappiness costs about two (10 × 20 % = 2).
 */
export const WORD_OF_MOUTH = { satisfiedTells: 5, unhappyTells: 10, followPercent: 20 } as const;

export type Satisfaction = 'satisfied' | 'neutral' | 'unhappy';

/** How many customers like this one the person's word of mouth wins (+1) or loses (−2). */
export function wordOfMouthCustomerEquivalents(satisfaction: Satisfaction): number {
  if (satisfaction === 'satisfied') return (WORD_OF_MOUTH.satisfiedTells * WORD_OF_MOUTH.followPercent) / 100;
  if (satisfaction === 'unhappy') return -(WORD_OF_MOUTH.unhappyTells * WORD_OF_MOUTH.followPercent) / 100;
  return 0;
}

/**
 * The lifetime value with word of mouth counted: the customer's own value plus the customers they
 * bring or drive away, each assumed to be worth as much as they are. 26,000 becomes 52,000 for a
 * satisfied customer and −26,000 for an unhappy one. Not stored: we do not yet record satisfaction.
 */
export function lifetimeValueWithWordOfMouth(ownLifetimeValue: number, satisfaction: Satisfaction): number {
  return ownLifetimeValue * (1 + wordOfMouthCustomerEquivalents(satisfaction));
}
