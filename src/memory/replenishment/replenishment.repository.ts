import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
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

@Injectable()
export class ReplenishmentRepository {
  /**
   * Serialises recomputations of the same contact: two transactions recording purchases for one
   * person each see the other's purchase once it commits, so the last writer has both. Locks are
   * taken in a fixed order so they cannot deadlock.
   */
  async lockContacts(tx: EntityManager, contactIds: string[]): Promise<void> {
    await tx.query(
      `SELECT pg_advisory_xact_lock($2, k)
         FROM (SELECT DISTINCT hashtext(id::text) AS k FROM unnest($1::uuid[]) AS id ORDER BY k) ordered`,
      [contactIds, CONTACT_LOCK_NAMESPACE],
    );
  }

  /** Each purchase (interaction) of each product by these contacts, quantities of its lines summed, oldest first. */
  async purchases(tx: EntityManager, contactIds: string[], onlyProduct: string | null): Promise<ContactProductPurchases[]> {
    const rows: Array<{ contact_id: string; product_key: string; at: Date; quantity: string }> = await tx.query(
      `SELECT contact_id, product_key, min(occurred_at) AS at, sum(quantity) AS quantity
         FROM purchase_lines
        WHERE contact_id = ANY($1::uuid[]) AND ($2::text IS NULL OR product_key = $2)
        GROUP BY contact_id, product_key, interaction_id
        ORDER BY contact_id, product_key, at`,
      [contactIds, onlyProduct],
    );
    const pairs: ContactProductPurchases[] = [];
    for (const row of rows) {
      let pair = pairs[pairs.length - 1];
      if (!pair || pair.contactId !== row.contact_id || pair.productKey !== row.product_key) {
        pair = { contactId: row.contact_id, productKey: row.product_key, purchases: [] };
        pairs.push(pair);
      }
      pair.purchases.push({ at: row.at, quantity: Number(row.quantity) });
    }
    return pairs;
  }

  async defaultRates(tx: EntityManager, productKeys: string[]): Promise<Map<string, number>> {
    if (productKeys.length === 0) return new Map();
    const rows: Array<{ product_key: string; daily_consumption: string }> = await tx.query(
      `SELECT product_key, daily_consumption FROM product_consumption_defaults WHERE product_key = ANY($1::text[])`,
      [productKeys],
    );
    return new Map(rows.map((r) => [r.product_key, Number(r.daily_consumption)]));
  }

  /**
   * Makes the stored predictions of these contacts (of one product, or of all) exactly `estimates`:
   * upserts those and deletes the ones that no longer have an estimate.
   */
  async replace(tx: EntityManager, contactIds: string[], onlyProduct: string | null, estimates: PairEstimate[], now: Date): Promise<void> {
    await tx.query(
      `DELETE FROM replenishment_predictions p
        WHERE p.contact_id = ANY($1::uuid[]) AND ($2::text IS NULL OR p.product_key = $2)
          AND NOT EXISTS (SELECT 1 FROM unnest($3::uuid[], $4::text[]) AS k(contact_id, product_key)
                           WHERE k.contact_id = p.contact_id AND k.product_key = p.product_key)`,
      [contactIds, onlyProduct, estimates.map((e) => e.contactId), estimates.map((e) => e.productKey)],
    );
    if (estimates.length === 0) return;
    await tx.query(
      `INSERT INTO replenishment_predictions AS p
              (contact_id, product_key, run_out_on, daily_consumption, purchases_used, last_purchase_at, computed_at)
       SELECT contact_id, product_key, run_out_on, daily_consumption, purchases_used, last_purchase_at, $7
         FROM unnest($1::uuid[], $2::text[], $3::date[], $4::numeric[], $5::int[], $6::timestamptz[])
              AS e(contact_id, product_key, run_out_on, daily_consumption, purchases_used, last_purchase_at)
       ON CONFLICT (contact_id, product_key) DO UPDATE SET
              run_out_on = EXCLUDED.run_out_on, daily_consumption = EXCLUDED.daily_consumption,
              purchases_used = EXCLUDED.purchases_used, last_purchase_at = EXCLUDED.last_purchase_at,
              computed_at = EXCLUDED.computed_at`,
      [
        estimates.map((e) => e.contactId),
        estimates.map((e) => e.productKey),
        estimates.map((e) => e.estimate.runOutOn),
        estimates.map((e) => e.estimate.dailyConsumption.toFixed(6)),
        estimates.map((e) => e.estimate.purchasesUsed),
        estimates.map((e) => e.estimate.lastPurchaseAt),
        now,
      ],
    );
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
