import { estimatedLifetimeValue } from './lifetime-value';
import { AbcClass, FrequencyClass, frequencyClass, LoyaltyStage, loyaltyStage, rfmScore, ValueCalendar } from './value-rules';

/** What the database aggregates for one contact as of `now` (events after `now` are ignored). */
export interface ContactFacts {
  contactId: string;
  firstPurchaseAt: Date | null;
  lastPurchaseAt: Date | null;
  lastVisitAt: Date | null;
  visitDays: number;
  medianGapDays: number | null;
  frequency12m: number;
  purchasesTotal: number;
  purchases12m: number;
  purchasesPrevious12m: number;
  monetary12m: number;
  monetaryTotal: number;
  /** As stored by the last base-wide ABC run. */
  abcClass: AbcClass | null;
}

export interface DerivedValue {
  contactId: string;
  firstPurchaseAt: Date | null;
  lastPurchaseAt: Date | null;
  lastVisitAt: Date | null;
  recencyDays: number | null;
  frequency12m: number;
  monetary12m: number;
  monetaryTotal: number;
  rfmScore: string;
  loyaltyStage: LoyaltyStage;
  frequencyClass: FrequencyClass | null;
  lifetimeValue: number;
}

export function deriveContactValue(facts: ContactFacts, calendar: ValueCalendar): DerivedValue {
  const { now } = calendar;
  const recencyDays = wholeDaysBetween(facts.lastVisitAt, now);
  const frequency = frequencyClass({ visitDays: facts.visitDays, medianGapDays: facts.medianGapDays, daysSinceLastVisit: recencyDays });
  return {
    contactId: facts.contactId,
    firstPurchaseAt: facts.firstPurchaseAt,
    lastPurchaseAt: facts.lastPurchaseAt,
    lastVisitAt: facts.lastVisitAt,
    recencyDays,
    frequency12m: facts.frequency12m,
    monetary12m: facts.monetary12m,
    monetaryTotal: facts.monetaryTotal,
    rfmScore: rfmScore(recencyDays, facts.frequency12m, facts.monetary12m),
    loyaltyStage: loyaltyStage(facts, frequency, facts.abcClass, calendar),
    frequencyClass: frequency,
    lifetimeValue: estimatedLifetimeValue({ ...facts, daysAsCustomer: wholeDaysBetween(facts.firstPurchaseAt, now) }),
  };
}

const DAY_MS = 86_400_000;

/**
 * Whole elapsed days (periods of 24 hours) from `from` to `to`, never negative; null when there is
 * no `from`. Elapsed time between two instants, so plain arithmetic is exact here; calendar steps
 * ("12 months ago") go through luxon in valueCalendar().
 */
export function wholeDaysBetween(from: Date | null, to: Date): number | null {
  if (from === null) return null;
  return Math.max(0, Math.floor((to.getTime() - from.getTime()) / DAY_MS));
}

/** The class changes worth a value_signals row, one per dimension that moved. */
export interface ValueChange {
  contactId: string;
  dimension: 'abc_class' | 'frequency_class' | 'loyalty_stage';
  from: string | null;
  to: string;
}

export interface StoredClasses {
  loyaltyStage: LoyaltyStage | null;
  frequencyClass: FrequencyClass | null;
}

/**
 * A contact never computed before is compared as if it had been `potential` (and, for ABC, `C`), so
 * a first computation that finds nothing signals nothing, while a first purchase does signal its
 * stage. The row's `from` is the stored value as it was: null when there was none.
 */
export function valueChanges(before: StoredClasses | undefined, after: DerivedValue): ValueChange[] {
  const changes: ValueChange[] = [];
  const stage = before?.loyaltyStage ?? null;
  if ((stage ?? 'potential') !== after.loyaltyStage) {
    changes.push({ contactId: after.contactId, dimension: 'loyalty_stage', from: stage, to: after.loyaltyStage });
  }
  const frequency = before?.frequencyClass ?? null;
  if (after.frequencyClass !== null && frequency !== after.frequencyClass) {
    changes.push({ contactId: after.contactId, dimension: 'frequency_class', from: frequency, to: after.frequencyClass });
  }
  return changes;
}

/** The derived value of each contact from its facts, and the changes from the classes stored before. */
export function deriveValues(rows: Array<{ facts: ContactFacts; stored: StoredClasses }>, calendar: ValueCalendar): { derived: DerivedValue[]; changes: ValueChange[] } {
  const derived = rows.map((r) => deriveContactValue(r.facts, calendar));
  const changes = derived.flatMap((d, i) => valueChanges(rows[i].stored, d));
  return { derived, changes };
}
