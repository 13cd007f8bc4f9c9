import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SqlValues, withStatements } from '../../common/prepared-statements';
import { ContactFacts, DerivedValue, StoredClasses, ValueChange } from './contact-value.derive';
import { AbcClass, ValueCalendar } from './value-rules';

interface FactsRow {
  contact_id: string;
  first_purchase_at: Date | string | null;
  last_purchase_at: Date | string | null;
  last_visit_at: Date | string | null;
  visit_days: number | null;
  median_gap_days: number | null;
  frequency_12m: number | null;
  purchases_total: number | null;
  purchases_12m: number | null;
  purchases_previous_12m: number | null;
  monetary_12m: string | number | null;
  monetary_total: string | number | null;
  abc_class: AbcClass | null;
  loyalty_stage: StoredClasses['loyaltyStage'];
  frequency_class: StoredClasses['frequencyClass'];
}

/** A contact's facts as of a moment, and the classes stored for it before this recomputation. */
export interface FactsAndClasses {
  facts: ContactFacts;
  stored: StoredClasses;
}

/**
 * Makes sure each contact has a contact_value row and locks those rows in id order, so two
 * transactions recomputing the same contact run one after the other and never both signal the
 * same change. `DO UPDATE … WHERE false` locks an existing row without writing a new version of it.
 * What the rows hold is read by a later statement, whose snapshot then includes whatever the
 * previous holder of the lock committed.
 */
export function lockValueRowsSql(ids: string): string {
  return `INSERT INTO contact_value (contact_id)
          SELECT c.id FROM contacts c WHERE c.id = ANY(${ids}) ORDER BY c.id
          ON CONFLICT (contact_id) DO UPDATE SET contact_id = EXCLUDED.contact_id WHERE false`;
}

/**
 * One row per contact: purchases and service visits up to `now`, and the classes stored. A visit day
 * is a UTC calendar day with at least one of them; gaps are between consecutive visit days, and the
 * median is taken over the gaps that end inside the trailing 12 months (so the visit just before the
 * window anchors the first gap). Expects the rows locked (lockValueRowsSql).
 */
export function valueFactsSql(p: { ids: string; now: string; yearAgo: string; twoYearsAgo: string }): string {
  return `WITH visits AS (
         SELECT contact_id, kind, occurred_at, amount
           FROM interactions
          WHERE contact_id = ANY(${p.ids}) AND kind IN ('purchase', 'service_visit') AND occurred_at <= ${p.now}
       ),
       totals AS (
         SELECT contact_id,
                min(occurred_at) FILTER (WHERE kind = 'purchase') AS first_purchase_at,
                max(occurred_at) FILTER (WHERE kind = 'purchase') AS last_purchase_at,
                max(occurred_at) AS last_visit_at,
                count(DISTINCT (occurred_at AT TIME ZONE 'UTC')::date)::int AS visit_days,
                count(*) FILTER (WHERE occurred_at > ${p.yearAgo})::int AS frequency_12m,
                count(*) FILTER (WHERE kind = 'purchase')::int AS purchases_total,
                count(*) FILTER (WHERE kind = 'purchase' AND occurred_at > ${p.yearAgo})::int AS purchases_12m,
                count(*) FILTER (WHERE kind = 'purchase' AND occurred_at > ${p.twoYearsAgo} AND occurred_at <= ${p.yearAgo})::int AS purchases_previous_12m,
                coalesce(sum(amount) FILTER (WHERE kind = 'purchase' AND occurred_at > ${p.yearAgo}), 0) AS monetary_12m,
                coalesce(sum(amount) FILTER (WHERE kind = 'purchase'), 0) AS monetary_total
           FROM visits GROUP BY contact_id
       ),
       days AS (
         SELECT DISTINCT contact_id, (occurred_at AT TIME ZONE 'UTC')::date AS day FROM visits
       ),
       gaps AS (
         SELECT contact_id, day, day - lag(day) OVER (PARTITION BY contact_id ORDER BY day) AS gap FROM days
       ),
       rhythm AS (
         SELECT contact_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap_days
           FROM gaps
          WHERE gap IS NOT NULL AND day > (${p.yearAgo} AT TIME ZONE 'UTC')::date
          GROUP BY contact_id
       )
       SELECT cv.contact_id, t.first_purchase_at, t.last_purchase_at, t.last_visit_at, t.visit_days, r.median_gap_days,
              t.frequency_12m, t.purchases_total, t.purchases_12m, t.purchases_previous_12m, t.monetary_12m, t.monetary_total,
              cv.abc_class, cv.loyalty_stage, cv.frequency_class
         FROM contact_value cv
         LEFT JOIN totals t ON t.contact_id = cv.contact_id
         LEFT JOIN rhythm r ON r.contact_id = cv.contact_id
        WHERE cv.contact_id = ANY(${p.ids})`;
}

/** The placeholders of valueFactsSql for these contacts and calendar. */
export function valueFactsParams(values: SqlValues, ids: string, w: ValueCalendar): Parameters<typeof valueFactsSql>[0] {
  return { ids, now: values.add(w.now.toISOString(), 'timestamptz'), yearAgo: values.add(w.yearAgo.toISOString(), 'timestamptz'), twoYearsAgo: values.add(w.twoYearsAgo.toISOString(), 'timestamptz') };
}

/** valueFactsSql's rows, whether the driver parsed them or they came as JSON (timestamps and numerics as text or numbers). */
export function toFactsAndClasses(rows: FactsRow[]): FactsAndClasses[] {
  const date = (value: Date | string | null) => (value === null ? null : new Date(value));
  return rows.map((r) => ({
    facts: {
      contactId: r.contact_id,
      firstPurchaseAt: date(r.first_purchase_at),
      lastPurchaseAt: date(r.last_purchase_at),
      lastVisitAt: date(r.last_visit_at),
      visitDays: r.visit_days ?? 0,
      medianGapDays: r.median_gap_days === null ? null : Number(r.median_gap_days),
      frequency12m: r.frequency_12m ?? 0,
      purchasesTotal: r.purchases_total ?? 0,
      purchases12m: r.purchases_12m ?? 0,
      purchasesPrevious12m: r.purchases_previous_12m ?? 0,
      monetary12m: Number(r.monetary_12m ?? 0),
      monetaryTotal: Number(r.monetary_total ?? 0),
      abcClass: r.abc_class,
    },
    stored: { loyaltyStage: r.loyalty_stage, frequencyClass: r.frequency_class },
  }));
}

/**
 * Data-modifying statements (for a WITH) that write the derived figures of many contacts and append
 * the signals of the classes that changed.
 */
export function saveValuesSql(values: SqlValues, derived: DerivedValue[], changes: ValueChange[], now: Date): string[] {
  const column = <T>(pick: (v: DerivedValue) => T) => derived.map(pick);
  // ISO text rather than Date objects: the driver formats thousands of Dates in local time slowly.
  const iso = (date: Date | null) => (date === null ? null : date.toISOString());
  const at = values.add(now.toISOString(), 'timestamptz');
  return [
    `UPDATE contact_value cv SET
            first_purchase_at = u.first_purchase_at, last_purchase_at = u.last_purchase_at, last_visit_at = u.last_visit_at,
            recency_days = u.recency_days, frequency_12m = u.frequency_12m, monetary_12m = u.monetary_12m,
            monetary_total = u.monetary_total, rfm_score = u.rfm_score, loyalty_stage = u.loyalty_stage,
            frequency_class = u.frequency_class, lifetime_value = u.lifetime_value, computed_at = ${at}
       FROM unnest(${values.add(column((v) => v.contactId), 'uuid[]')}, ${values.add(column((v) => iso(v.firstPurchaseAt)), 'timestamptz[]')},
                   ${values.add(column((v) => iso(v.lastPurchaseAt)), 'timestamptz[]')}, ${values.add(column((v) => iso(v.lastVisitAt)), 'timestamptz[]')},
                   ${values.add(column((v) => v.recencyDays), 'int[]')}, ${values.add(column((v) => v.frequency12m), 'int[]')},
                   ${values.add(column((v) => v.monetary12m.toFixed(2)), 'numeric[]')}, ${values.add(column((v) => v.monetaryTotal.toFixed(2)), 'numeric[]')},
                   ${values.add(column((v) => v.rfmScore), 'text[]')}, ${values.add(column((v) => v.loyaltyStage), 'text[]')},
                   ${values.add(column((v) => v.frequencyClass), 'text[]')}, ${values.add(column((v) => v.lifetimeValue.toFixed(2)), 'numeric[]')})
            AS u(contact_id, first_purchase_at, last_purchase_at, last_visit_at, recency_days, frequency_12m,
                 monetary_12m, monetary_total, rfm_score, loyalty_stage, frequency_class, lifetime_value)
      WHERE cv.contact_id = u.contact_id`,
    `INSERT INTO value_signals (contact_id, dimension, from_value, to_value, detected_at)
     SELECT contact_id, dimension, from_value, to_value, ${at}
       FROM unnest(${values.add(changes.map((c) => c.contactId), 'uuid[]')}, ${values.add(changes.map((c) => c.dimension), 'text[]')},
                   ${values.add(changes.map((c) => c.from), 'text[]')}, ${values.add(changes.map((c) => c.to), 'text[]')})
            AS s(contact_id, dimension, from_value, to_value)`,
  ];
}

/** The SQL behind per-contact value: aggregation in the database, the rules in contact-value.derive.ts. */
@Injectable()
export class ValueRepository {
  /** See lockValueRowsSql. */
  async lockRows(tx: EntityManager, contactIds: string[]): Promise<void> {
    await tx.query(lockValueRowsSql('$1::uuid[]'), [contactIds]);
  }

  /** The facts and stored classes of these contacts as of the calendar's `now` (rows locked first). */
  async facts(tx: EntityManager, contactIds: string[], w: ValueCalendar): Promise<FactsAndClasses[]> {
    const values = new SqlValues();
    const ids = values.add(contactIds, 'uuid[]');
    const rows: FactsRow[] = await tx.query(valueFactsSql(valueFactsParams(values, ids, w)), values.values);
    return toFactsAndClasses(rows);
  }

  /** Writes the derived figures of many contacts and their signals in one statement. */
  async save(tx: EntityManager, derived: DerivedValue[], changes: ValueChange[], now: Date): Promise<void> {
    if (derived.length === 0) return;
    const values = new SqlValues();
    await tx.query(withStatements(saveValuesSql(values, derived, changes, now)), values.values);
  }

  /** Live contacts (not deleted, not erased) in id order after `after`: the base job's batches. */
  async liveContactIdsAfter(tx: EntityManager, after: string | null, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await tx.query(
      `SELECT id FROM contacts
        WHERE deleted_at IS NULL AND erased_at IS NULL AND ($1::uuid IS NULL OR id > $1::uuid)
        ORDER BY id LIMIT $2`,
      [after, limit],
    );
    return rows.map((r) => r.id);
  }
}
