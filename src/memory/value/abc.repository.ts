import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AbcClass } from './value-rules';

export interface AbcOutcome {
  classes: Record<AbcClass, { customers: number; revenue: string }>;
  /** abc_class value_signals rows appended by this run. */
  signals: number;
}

/**
 * ABC by revenue, the 80/20 rule, over every live contact (not deleted, not erased):
 *
 * 1. revenue = sum of `amount` of the contact's purchases in the trailing 12 months, (now − 12 months, now].
 * 2. Sort by revenue, highest first. Contacts with equal revenue form one group and always share a
 *    class (so the outcome never depends on the order of ids).
 * 3. before = revenue of all contacts strictly above the group; total = revenue of all contacts with
 *    revenue > 0.
 * 4. A when before < 80 % of total: the group that crosses the 80 % line is A, since without it the
 *    top would not reach 80 %. B when before < 95 % of total. C otherwise, and always C when the
 *    revenue is 0 or less (refunds exceeding purchases) — customers without revenue are C.
 *
 * One statement with window functions, all in exact numeric arithmetic (before × 100 < total × 80):
 * it classes, writes only the contacts whose class changed (inserting rows for new ones), and
 * appends a value_signals row for each change, all from the same snapshot. A contact that had no
 * class is compared as C, so first classification signals only A and B.
 */
const CLASSIFY_SQL = `
  WITH revenue AS (
    SELECT c.id AS contact_id, coalesce(sum(i.amount), 0) AS revenue
      FROM contacts c
      LEFT JOIN interactions i
        ON i.contact_id = c.id AND i.kind = 'purchase' AND i.occurred_at > $2 AND i.occurred_at <= $1
     WHERE c.deleted_at IS NULL AND c.erased_at IS NULL
     GROUP BY c.id
  ),
  ranked AS (
    SELECT contact_id, revenue,
           -- running total through this group, minus the group itself (a frame with EXCLUDE GROUP would be quadratic)
           sum(revenue) OVER (ORDER BY revenue DESC) - sum(revenue) OVER (PARTITION BY revenue) AS before,
           sum(greatest(revenue, 0)) OVER () AS total
      FROM revenue
  ),
  classed AS (
    SELECT contact_id, revenue,
           CASE WHEN revenue <= 0 THEN 'C'
                WHEN before * 100 < total * 80 THEN 'A'
                WHEN before * 100 < total * 95 THEN 'B'
                ELSE 'C' END AS abc_class
      FROM ranked
  ),
  written AS (
    INSERT INTO contact_value AS cv (contact_id, abc_class, computed_at)
    SELECT contact_id, abc_class, $1 FROM classed
    ON CONFLICT (contact_id) DO UPDATE SET abc_class = EXCLUDED.abc_class
     WHERE cv.abc_class IS DISTINCT FROM EXCLUDED.abc_class
    RETURNING 1
  ),
  signalled AS (
    INSERT INTO value_signals (contact_id, dimension, from_value, to_value, detected_at)
    SELECT k.contact_id, 'abc_class', old.abc_class, k.abc_class, $1
      FROM classed k
      LEFT JOIN contact_value old ON old.contact_id = k.contact_id
     WHERE coalesce(old.abc_class, 'C') <> k.abc_class
    RETURNING 1
  )
  SELECT abc_class, count(*)::int AS customers, sum(greatest(revenue, 0))::text AS revenue,
         (SELECT count(*) FROM signalled)::int AS signals,
         (SELECT count(*) FROM written)::int AS written
    FROM classed
   GROUP BY abc_class`;

@Injectable()
export class AbcRepository {
  async classify(tx: EntityManager, now: Date, yearAgo: Date): Promise<AbcOutcome> {
    const rows: Array<{ abc_class: AbcClass; customers: number; revenue: string; signals: number }> = await tx.query(CLASSIFY_SQL, [
      now,
      yearAgo,
    ]);
    const classes: AbcOutcome['classes'] = { A: { customers: 0, revenue: '0' }, B: { customers: 0, revenue: '0' }, C: { customers: 0, revenue: '0' } };
    for (const row of rows) classes[row.abc_class] = { customers: row.customers, revenue: row.revenue };
    return { classes, signals: rows[0]?.signals ?? 0 };
  }
}
