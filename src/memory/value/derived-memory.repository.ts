import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PreparedStatements, SqlValues, withStatements } from '../../common/prepared-statements';
import { lockPredictionsSql, PairEstimate, purchasesAndRatesSql, replacePredictionsSql, toPurchasesAndRates } from '../replenishment/replenishment.repository';
import { DerivedValue, ValueChange } from './contact-value.derive';
import { FactsAndClasses, lockValueRowsSql, saveValuesSql, toFactsAndClasses, valueFactsParams, valueFactsSql } from './value.repository';
import { ValueCalendar } from './value-rules';

/**
 * The value and replenishment statements of ValueRepository and ReplenishmentRepository, three
 * round trips for both instead of three each: what recording an interaction runs on every request.
 * Prepared, because they run hundreds of times a second with the same text.
 */
@Injectable()
export class DerivedMemoryRepository {
  constructor(private readonly statements: PreparedStatements) {}

  /** Both recomputations' locks: the contacts' value rows and their prediction locks. */
  async lock(tx: EntityManager, contactIds: string[]): Promise<void> {
    const values = new SqlValues();
    const ids = values.add(contactIds, 'uuid[]');
    await this.statements.rows(tx, `WITH value_rows AS (${lockValueRowsSql(ids)})\n${lockPredictionsSql(ids)}`, values.values);
  }

  /** What both recomputations read, in one statement whose snapshot follows the locks. */
  async read(tx: EntityManager, contactIds: string[], calendar: ValueCalendar): Promise<{ value: FactsAndClasses[] } & ReturnType<typeof toPurchasesAndRates>> {
    const values = new SqlValues();
    const ids = values.add(contactIds, 'uuid[]');
    const facts = valueFactsSql(valueFactsParams(values, ids, calendar));
    const purchases = purchasesAndRatesSql(ids, values.add(null, 'text'));
    const [row] = await this.statements.rows<{ value: Parameters<typeof toFactsAndClasses>[0]; purchases: Parameters<typeof toPurchasesAndRates>[0]['purchases']; rates: Record<string, number> }>(
      tx,
      `SELECT (SELECT coalesce(json_agg(f), '[]') FROM (${facts}) f) AS value, p.purchases, p.rates FROM (${purchases}) p`,
      values.values,
    );
    return { value: toFactsAndClasses(row.value), ...toPurchasesAndRates(row) };
  }

  /** Both recomputations' writes in one statement. */
  async write(tx: EntityManager, contactIds: string[], derived: DerivedValue[], changes: ValueChange[], estimates: PairEstimate[], now: Date): Promise<void> {
    const values = new SqlValues();
    const ids = values.add(contactIds, 'uuid[]');
    const statements = [...saveValuesSql(values, derived, changes, now), ...replacePredictionsSql(values, ids, values.add(null, 'text'), estimates, now)];
    await this.statements.rows(tx, withStatements(statements), values.values);
  }
}
