import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SqlValues, withStatements } from '../../common/prepared-statements';
import { ProductPurchase, RunOutEstimate } from './run-out-model';

/** Advisory-lock namespace (ASCII "TDRP") for recomputing one contact's predictions at a time. */
const CONTACT_LOCK_NAMESPACE = 0x54445250;

export interface PairEstimate {
  contactId: string;
  productKey: string;
  estimate: RunOutEstimate;
}

export interface ContactProductPurchases {
  contactId: string;
  productKey: string;
  purchases: ProductPurchase[];
}

export interface DueReplenishment {
  contactId: string;
  productKey: string;
  productName: string | null;
  runOutOn: string;
  remindOn: string;
  dailyConsumption: string;
  lastPurchaseAt: Date;
}

export interface PredictionView {
  productKey: string;
  productName: string | null;
  runOutOn: string;
  dailyConsumption: string;
  purchasesUsed: number;
  lastPurchaseAt: Date;
  computedAt: Date;
}

/**
 * Serialises recomputations of the same contact: two transactions recording purchases for one
 * person each see the other's purchase once it commits, so the last writer has both. Locks are
 * taken in a fixed order so they cannot deadlock. A query with one row per contact.
 */
export function lockPredictionsSql(ids: string): string {
  return `SELECT pg_advisory_xact_lock(${CONTACT_LOCK_NAMESPACE}, k)
            FROM (SELECT DISTINCT hashtext(id::text) AS k FROM unnest(${ids}) AS id ORDER BY k) ordered`;
}

/**
 * One row: `purchases`, each purchase (interaction) of each product by these contacts with the
 * quantities of its lines summed, oldest first per contact and product; `rates`, the default daily
 * consumption of every product they bought that has one. As JSON, so both come in one round trip.
 */
export function purchasesAndRatesSql(ids: string, onlyProduct: string): string {
  return `WITH bought AS (
            SELECT contact_id, product_key, min(occurred_at) AS at, sum(quantity) AS quantity
              FROM purchase_lines
             WHERE contact_id = ANY(${ids}) AND (${onlyProduct} IS NULL OR product_key = ${onlyProduct})
             GROUP BY contact_id, product_key, interaction_id
          )
          SELECT (SELECT coalesce(json_agg(json_build_array(b.contact_id, b.product_key, b.at, b.quantity) ORDER BY b.contact_id, b.product_key, b.at), '[]')
                    FROM bought b) AS purchases,
                 (SELECT coalesce(json_object_agg(d.product_key, d.daily_consumption), '{}')
                    FROM product_consumption_defaults d WHERE d.product_key IN (SELECT product_key FROM bought)) AS rates`;
}

/** The answer of purchasesAndRatesSql, grouped per contact and product. */
export function toPurchasesAndRates(row: { purchases: Array<[string, string, string, number]>; rates: Record<string, number> }): {
  pairs: ContactProductPurchases[];
  rates: Map<string, number>;
} {
  const pairs: ContactProductPurchases[] = [];
  for (const [contactId, productKey, at, quantity] of row.purchases) {
    let pair = pairs[pairs.length - 1];
    if (!pair || pair.contactId !== contactId || pair.productKey !== productKey) {
      pair = { contactId, productKey, purchases: [] };
      pairs.push(pair);
    }
    pair.purchases.push({ at: new Date(at), quantity: Number(quantity) });
  }
  return { pairs, rates: new Map(Object.entries(row.rates).map(([key, rate]) => [key, Number(rate)])) };
}

/**
 * Data-modifying statements (for a WITH) that make the stored predictions of these contacts (of one
 * product, or of all) exactly `estimates`: upsert those, delete the ones that no longer have one.
 */
export function replacePredictionsSql(values: SqlValues, ids: string, onlyProduct: string, estimates: PairEstimate[], now: Date): string[] {
  const contacts = values.add(estimates.map((e) => e.contactId), 'uuid[]');
  const products = values.add(estimates.map((e) => e.productKey), 'text[]');
  return [
    `DELETE FROM replenishment_predictions p
      WHERE p.contact_id = ANY(${ids}) AND (${onlyProduct} IS NULL OR p.product_key = ${onlyProduct})
        AND NOT EXISTS (SELECT 1 FROM unnest(${contacts}, ${products}) AS k(contact_id, product_key)
                         WHERE k.contact_id = p.contact_id AND k.product_key = p.product_key)`,
    `INSERT INTO replenishment_predictions AS p
            (contact_id, product_key, run_out_on, daily_consumption, purchases_used, last_purchase_at, computed_at)
     SELECT contact_id, product_key, run_out_on, daily_consumption, purchases_used, last_purchase_at, ${values.add(now.toISOString(), 'timestamptz')}
       FROM unnest(${contacts}, ${products}, ${values.add(estimates.map((e) => e.estimate.runOutOn), 'date[]')},
                   ${values.add(estimates.map((e) => e.estimate.dailyConsumption.toFixed(6)), 'numeric[]')},
                   ${values.add(estimates.map((e) => e.estimate.purchasesUsed), 'int[]')},
                   ${values.add(estimates.map((e) => e.estimate.lastPurchaseAt.toISOString()), 'timestamptz[]')})
            AS e(contact_id, product_key, run_out_on, daily_consumption, purchases_used, last_purchase_at)
     ON CONFLICT (contact_id, product_key) DO UPDATE SET
            run_out_on = EXCLUDED.run_out_on, daily_consumption = EXCLUDED.daily_consumption,
            purchases_used = EXCLUDED.purchases_used, last_purchase_at = EXCLUDED.last_purchase_at,
            computed_at = EXCLUDED.computed_at`,
  ];
}

@Injectable()
export class ReplenishmentRepository {
  /** See lockPredictionsSql. */
  async lockContacts(tx: EntityManager, contactIds: string[]): Promise<void> {
    await tx.query(lockPredictionsSql('$1::uuid[]'), [contactIds]);
  }

  /** See purchasesAndRatesSql. */
  async purchasesAndRates(tx: EntityManager, contactIds: string[], onlyProduct: string | null): Promise<ReturnType<typeof toPurchasesAndRates>> {
    const [row] = await tx.query(purchasesAndRatesSql('$1::uuid[]', '$2::text'), [contactIds, onlyProduct]);
    return toPurchasesAndRates(row);
  }

  /** See replacePredictionsSql; one statement. */
  async replace(tx: EntityManager, contactIds: string[], onlyProduct: string | null, estimates: PairEstimate[], now: Date): Promise<void> {
    const values = new SqlValues();
    const ids = values.add(contactIds, 'uuid[]');
    const product = values.add(onlyProduct, 'text');
    await tx.query(withStatements(replacePredictionsSql(values, ids, product, estimates, now)), values.values);
  }

  async contactsWhoBought(tx: EntityManager, productKey: string): Promise<string[]> {
    const rows: Array<{ contact_id: string }> = await tx.query(
      `SELECT DISTINCT contact_id FROM purchase_lines WHERE product_key = $1 ORDER BY contact_id`,
      [productKey],
    );
    return rows.map((r) => r.contact_id);
  }

  async isLiveContact(tx: EntityManager, contactId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(`SELECT 1 FROM contacts WHERE id = $1 AND deleted_at IS NULL AND erased_at IS NULL`, [contactId]);
    return rows.length > 0;
  }

  /** The contact's predictions, soonest run-out first, with the product name of the latest purchase. */
  async ofContact(tx: EntityManager, contactId: string): Promise<PredictionView[]> {
    const rows: Array<Record<string, unknown>> = await tx.query(
      `SELECT p.product_key, n.product_name, p.run_out_on::text AS run_out_on, p.daily_consumption::text AS daily_consumption,
              p.purchases_used, p.last_purchase_at, p.computed_at
         FROM replenishment_predictions p
         LEFT JOIN LATERAL (SELECT product_name FROM purchase_lines l
                             WHERE l.contact_id = p.contact_id AND l.product_key = p.product_key AND l.product_name IS NOT NULL
                             ORDER BY l.occurred_at DESC LIMIT 1) n ON true
        WHERE p.contact_id = $1
        ORDER BY p.run_out_on, p.product_key`,
      [contactId],
    );
    return rows.map((r) => ({
      productKey: r.product_key as string,
      productName: r.product_name as string | null,
      runOutOn: r.run_out_on as string,
      dailyConsumption: r.daily_consumption as string,
      purchasesUsed: r.purchases_used as number,
      lastPurchaseAt: r.last_purchase_at as Date,
      computedAt: r.computed_at as Date,
    }));
  }

  /** Live contacts' predictions whose reminder day (run-out − leadDays) lies in [from, to]. */
  async due(tx: EntityManager, from: string, to: string, leadDays: number): Promise<DueReplenishment[]> {
    const rows: Array<Record<string, unknown>> = await tx.query(
      `SELECT p.contact_id, p.product_key, n.product_name, p.run_out_on::text AS run_out_on,
              (p.run_out_on - $3::int)::text AS remind_on, p.daily_consumption::text AS daily_consumption, p.last_purchase_at
         FROM replenishment_predictions p
         JOIN contacts c ON c.id = p.contact_id AND c.deleted_at IS NULL AND c.erased_at IS NULL
         LEFT JOIN LATERAL (SELECT product_name FROM purchase_lines l
                             WHERE l.contact_id = p.contact_id AND l.product_key = p.product_key AND l.product_name IS NOT NULL
                             ORDER BY l.occurred_at DESC LIMIT 1) n ON true
        WHERE p.run_out_on BETWEEN $1::date + $3::int AND $2::date + $3::int
        ORDER BY p.run_out_on, p.contact_id, p.product_key`,
      [from, to, leadDays],
    );
    return rows.map((r) => ({
      contactId: r.contact_id as string,
      productKey: r.product_key as string,
      productName: r.product_name as string | null,
      runOutOn: r.run_out_on as string,
      remindOn: r.remind_on as string,
      dailyConsumption: r.daily_consumption as string,
      lastPurchaseAt: r.last_purchase_at as Date,
    }));
  }

  async saveDefault(tx: EntityManager, productKey: string, dailyConsumption: number, unit: string | null, by: string) {
    const [row]: Array<Record<string, unknown>> = await tx.query(
      `INSERT INTO product_consumption_defaults (product_key, daily_consumption, unit, updated_by)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (product_key) DO UPDATE SET daily_consumption = EXCLUDED.daily_consumption, unit = EXCLUDED.unit,
              updated_at = now(), updated_by = EXCLUDED.updated_by
       RETURNING product_key, daily_consumption::text AS daily_consumption, unit, updated_at, updated_by`,
      [productKey, dailyConsumption, unit, by],
    );
    return { productKey: row.product_key as string, dailyConsumption: row.daily_consumption as string, unit: row.unit as string | null, updatedAt: row.updated_at as Date, updatedBy: row.updated_by as string };
  }
}
