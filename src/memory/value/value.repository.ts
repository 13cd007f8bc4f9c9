import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ContactFacts, DerivedValue, StoredClasses, ValueChange } from './contact-value.derive';
import { AbcClass, ValueCalendar } from './value-rules';

interface FactsRow {
  contact_id: string;
  first_purchase_at: Date | null;
  last_purchase_at: Date | null;
  last_visit_at: Date | null;
  visit_days: number | null;
  median_gap_days: number | null;
  frequency_12m: number | null;
  purchases_total: number | null;
  purchases_12m: number | null;
  purchases_previous_12m: number | null;
  monetary_12m: string | null;
  monetary_total: string | null;
  abc_class: AbcClass | null;
}

/** The SQL behind per-contact value: aggregation in the database, the rules in contact-value.derive.ts. */
@Injectable()
export class ValueRepository {
  /**
   * Makes sure each contact has a contact_value row and locks those rows in id order, so two
   * transactions recomputing the same contact run one after the other and never both signal the
   * same change. Returns the classes as they were.
   */
  async lockClasses(tx: EntityManager, contactIds: string[]): Promise<Map<string, StoredClasses>> {
    await tx.query(
      `INSERT INTO contact_value (contact_id)
       SELECT c.id FROM contacts c WHERE c.id = ANY($1::uuid[])
       ON CONFLICT (contact_id) DO NOTHING`,
      [contactIds],
    );
    const rows: Array<{ contact_id: string; loyalty_stage: StoredClasses['loyaltyStage']; frequency_class: StoredClasses['frequencyClass'] }> =
      await tx.query(
        `SELECT contact_id, loyalty_stage, frequency_class FROM contact_value
          WHERE contact_id = ANY($1::uuid[]) ORDER BY contact_id FOR UPDATE`,
        [contactIds],
      );
    return new Map(rows.map((r) => [r.contact_id, { loyaltyStage: r.loyalty_stage, frequencyClass: r.frequency_class }]));
  }

  /**
   * One row per contact: purchases and service visits up to `now`. A visit day is a UTC calendar day
   * with at least one of them; gaps are between consecutive visit days, and the median is taken over
   * the gaps that end inside the trailing 12 months (so the visit just before the window anchors the
   * first gap).
   */
  async facts(tx: EntityManager, contactIds: string[], w: ValueCalendar): Promise<ContactFacts[]> {
    const rows: FactsRow[] = await tx.query(
      `WITH visits AS (
         SELECT contact_id, kind, occurred_at, amount
           FROM interactions
          WHERE contact_id = ANY($1::uuid[]) AND kind IN ('purchase', 'service_visit') AND occurred_at <= $2
       ),
       totals AS (
         SELECT contact_id,
                min(occurred_at) FILTER (WHERE kind = 'purchase') AS first_purchase_at,
                max(occurred_at) FILTER (WHERE kind = 'purchase') AS last_purchase_at,
                max(occurred_at) AS last_visit_at,
                count(DISTINCT (occurred_at AT TIME ZONE 'UTC')::date)::int AS visit_days,
                count(*) FILTER (WHERE occurred_at > $3)::int AS frequency_12m,
                count(*) FILTER (WHERE kind = 'purchase')::int AS purchases_total,
                count(*) FILTER (WHERE kind = 'purchase' AND occurred_at > $3)::int AS purchases_12m,
                count(*) FILTER (WHERE kind = 'purchase' AND occurred_at > $4 AND occurred_at <= $3)::int AS purchases_previous_12m,
                coalesce(sum(amount) FILTER (WHERE kind = 'purchase' AND occurred_at > $3), 0) AS monetary_12m,
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
          WHERE gap IS NOT NULL AND day > ($3::timestamptz AT TIME ZONE 'UTC')::date
          GROUP BY contact_id
       )
       SELECT cv.contact_id, t.first_purchase_at, t.last_purchase_at, t.last_visit_at, t.visit_days, r.median_gap_days,
              t.frequency_12m, t.purchases_total, t.purchases_12m, t.purchases_previous_12m, t.monetary_12m, t.monetary_total,
              cv.abc_class
         FROM contact_value cv
         LEFT JOIN totals t ON t.contact_id = cv.contact_id
         LEFT JOIN rhythm r ON r.contact_id = cv.contact_id
        WHERE cv.contact_id = ANY($1::uuid[])`,
      [contactIds, w.now, w.yearAgo, w.twoYearsAgo],
    );
    return rows.map((r) => ({
      contactId: r.contact_id,
      firstPurchaseAt: r.first_purchase_at,
      lastPurchaseAt: r.last_purchase_at,
      lastVisitAt: r.last_visit_at,
      visitDays: r.visit_days ?? 0,
      medianGapDays: r.median_gap_days === null ? null : Number(r.median_gap_days),
      frequency12m: r.frequency_12m ?? 0,
      purchasesTotal: r.purchases_total ?? 0,
      purchases12m: r.purchases_12m ?? 0,
      purchasesPrevious12m: r.purchases_previous_12m ?? 0,
      monetary12m: Number(r.monetary_12m ?? 0),
      monetaryTotal: Number(r.monetary_total ?? 0),
      abcClass: r.abc_class,
    }));
  }

  /** Writes the derived figures of many contacts in one statement. */
  async save(tx: EntityManager, values: DerivedValue[], now: Date): Promise<void> {
    if (values.length === 0) return;
    const column = <T>(pick: (v: DerivedValue) => T) => values.map(pick);
    // ISO text rather than Date objects: the driver formats thousands of Dates in local time slowly.
    const iso = (date: Date | null) => (date === null ? null : date.toISOString());
    await tx.query(
      `UPDATE contact_value cv SET
              first_purchase_at = u.first_purchase_at, last_purchase_at = u.last_purchase_at, last_visit_at = u.last_visit_at,
              recency_days = u.recency_days, frequency_12m = u.frequency_12m, monetary_12m = u.monetary_12m,
              monetary_total = u.monetary_total, rfm_score = u.rfm_score, loyalty_stage = u.loyalty_stage,
              frequency_class = u.frequency_class, lifetime_value = u.lifetime_value, computed_at = $13
         FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::int[],
                     $7::numeric[], $8::numeric[], $9::text[], $10::text[], $11::text[], $12::numeric[])
              AS u(contact_id, first_purchase_at, last_purchase_at, last_visit_at, recency_days, frequency_12m,
                   monetary_12m, monetary_total, rfm_score, loyalty_stage, frequency_class, lifetime_value)
        WHERE cv.contact_id = u.contact_id`,
      [
        column((v) => v.contactId),
        column((v) => iso(v.firstPurchaseAt)),
        column((v) => iso(v.lastPurchaseAt)),
        column((v) => iso(v.lastVisitAt)),
        column((v) => v.recencyDays),
        column((v) => v.frequency12m),
        column((v) => v.monetary12m.toFixed(2)),
        column((v) => v.monetaryTotal.toFixed(2)),
        column((v) => v.rfmScore),
        column((v) => v.loyaltyStage),
        column((v) => v.frequencyClass),
        column((v) => v.lifetimeValue.toFixed(2)),
        now.toISOString(),
      ],
    );
  }

  async appendSignals(tx: EntityManager, changes: ValueChange[], detectedAt: Date): Promise<void> {
    if (changes.length === 0) return;
    await tx.query(
      `INSERT INTO value_signals (contact_id, dimension, from_value, to_value, detected_at)
       SELECT contact_id, dimension, from_value, to_value, $5
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS s(contact_id, dimension, from_value, to_value)`,
      [changes.map((c) => c.contactId), changes.map((c) => c.dimension), changes.map((c) => c.from), changes.map((c) => c.to), detectedAt],
    );
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
