import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ApiError } from '../../common/errors/api-error';
import { ContactValue } from './contact-value.entity';
import { ListSignalsQuery } from './dto/list-signals.query';
import { ValueSignal } from './value-signal.entity';
import { ABC_CLASSES, FREQUENCY_CLASSES, LOYALTY_STAGES } from './value-rules';

export interface ValueDistribution {
  customers: number;
  abc: Record<string, { customers: number; revenue12m: string; revenueShare: number }>;
  loyaltyStages: Record<string, number>;
  /** `none`: contacts without any purchase or visit. */
  frequencyClasses: Record<string, number>;
  /** The oldest computation among the counted contacts; null when none was computed yet. */
  computedSince: Date | null;
}

/** Reads for the API and for campaigns; only live contacts count. */
@Injectable()
export class ValueReadRepository {
  async signals(tx: EntityManager, query: ListSignalsQuery): Promise<{ items: ValueSignal[]; nextCursor: string | null }> {
    const qb = tx
      .getRepository(ValueSignal)
      .createQueryBuilder('s')
      .innerJoin('contacts', 'c', 'c.id = s.contact_id AND c.deleted_at IS NULL AND c.erased_at IS NULL');
    if (query.dimension) qb.andWhere('s.dimension = :dimension', { dimension: query.dimension });
    if (query.to) qb.andWhere('s.to_value = :to', { to: query.to });
    if (query.since) qb.andWhere('s.detected_at >= :since', { since: query.since });
    if (query.cursor) qb.andWhere('s.id > :after', { after: decodeCursor(query.cursor) });
    const rows = await qb.orderBy('s.id', 'ASC').limit(query.limit + 1).getMany();
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last ? Buffer.from(`signal:${last.id}`).toString('base64url') : null };
  }

  async distribution(tx: EntityManager): Promise<ValueDistribution> {
    const rows: Array<{ dimension: string; value: string; customers: number; revenue: string; computed_since: Date | null }> = await tx.query(
      `WITH live AS (
         SELECT coalesce(cv.abc_class, 'C') AS abc, coalesce(cv.loyalty_stage, 'potential') AS stage,
                coalesce(cv.frequency_class, 'none') AS frequency, coalesce(cv.monetary_12m, 0) AS revenue, cv.computed_at
           FROM contacts c LEFT JOIN contact_value cv ON cv.contact_id = c.id
          WHERE c.deleted_at IS NULL AND c.erased_at IS NULL
       )
       SELECT 'abc' AS dimension, abc AS value, count(*)::int AS customers, sum(greatest(revenue, 0))::text AS revenue, min(computed_at) AS computed_since
         FROM live GROUP BY abc
       UNION ALL
       SELECT 'stage', stage, count(*)::int, NULL, NULL FROM live GROUP BY stage
       UNION ALL
       SELECT 'frequency', frequency, count(*)::int, NULL, NULL FROM live GROUP BY frequency`,
    );
    const abcRows = rows.filter((r) => r.dimension === 'abc');
    const total = abcRows.reduce((sum, r) => sum + Number(r.revenue), 0);
    const abc: ValueDistribution['abc'] = {};
    for (const cls of ABC_CLASSES) {
      const row = abcRows.find((r) => r.value === cls);
      const revenue = row ? Number(row.revenue) : 0;
      abc[cls] = { customers: row?.customers ?? 0, revenue12m: revenue.toFixed(2), revenueShare: total > 0 ? Math.round((revenue / total) * 10_000) / 10_000 : 0 };
    }
    const counts = (dimension: string, values: readonly string[]) =>
      Object.fromEntries(values.map((v) => [v, rows.find((r) => r.dimension === dimension && r.value === v)?.customers ?? 0]));
    const computed = abcRows.map((r) => r.computed_since).filter((d): d is Date => d !== null);
    return {
      customers: abcRows.reduce((sum, r) => sum + r.customers, 0),
      abc,
      loyaltyStages: counts('stage', LOYALTY_STAGES),
      frequencyClasses: counts('frequency', [...FREQUENCY_CLASSES, 'none']),
      computedSince: computed.length ? new Date(Math.min(...computed.map((d) => d.getTime()))) : null,
    };
  }

  /** Undefined when there is no such live contact; null when it has not been computed yet. */
  async ofContact(tx: EntityManager, contactId: string): Promise<ContactValue | null | undefined> {
    const [live]: Array<{ id: string }> = await tx.query(`SELECT id FROM contacts WHERE id = $1 AND deleted_at IS NULL AND erased_at IS NULL`, [
      contactId,
    ]);
    if (!live) return undefined;
    return tx.getRepository(ContactValue).findOne({ where: { contactId } });
  }
}

function decodeCursor(cursor: string): string {
  const match = /^signal:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw ApiError.validation([{ field: 'cursor', problem: 'cursor is not one this API produced' }]);
  return match[1];
}
