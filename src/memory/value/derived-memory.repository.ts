import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PreparedStatements, SqlValues, withStatements } from '../../common/prepared-statements';
import { ListenerLocks } from '../interactions/interaction-hooks';
import { lockPredictionsSql, PairEstimate, purchasesAndRatesSql, replacePredictionsSql, toPurchasesAndRates } from '../replenishment/replenishment.repository';
import { DerivedValue, ValueChange } from './contact-value.derive';
import { FactsAndClasses, lockValueRowsSql, saveValuesSql, toFactsAndClasses, valueFactsParams, valueFactsSql } from './value.repository';
import { ValueCalendar } from './value-rules';

/**
 * The value and replenishment statements of ValueRepository and ReplenishmentRepository, three
 * round trips for both instead of three each: what recording an interaction runs on every request.
 * Prepared, because they run hundreds of times a second with the same text.
 *
 * Prepared is not enough on its own: PostgreSQL keeps planning a prepared statement anew each time
 * (a "custom plan") while its generic plan looks dearer than the custom ones, and a generic plan
 * of `= ANY($1::uuid[])` or of `unnest($n::…[])` is costed for ten elements where the custom
 * plans see one. Lock and read were re-planned on every request (pg_prepared_statements: 0 generic
 * plans of 1,500), planning the read cost as much as running it, and together they were 1.5 ms of
 * the database's 3.5 ms of CPU per recorded purchase. For one contact (the API's single POST) the
 * ids are therefore an `ARRAY[$n]` of one element, which a generic plan costs exactly; the API's
 * recording transaction is also told to use generic plans, for the write, whose estimate arrays vary
 * in length (re-planned it cost 0.65-0.75 ms of CPU, generic 0.3-0.45 ms). Batches keep custom plans:
 * there planning is shared by all their contacts.
 */
@Injectable()
export class DerivedMemoryRepository {
  constructor(private readonly statements: PreparedStatements) {}

  /** Both recomputations' locks: the contacts' value rows and their prediction locks. */
  async lock(tx: EntityManager, contactIds: string[]): Promise<void> {
    const values = new SqlValues();
    const ids = contactIdsParam(values, contactIds);
    await this.statements.rows(tx, `WITH value_rows AS (${lockValueRowsSql(ids)})\n${lockPredictionsSql(ids)}`, values.values);
  }

  /**
   * The locks of `lock` as parts of a WITH, for the statement that records one interaction through
   * the API (`ids`: that contact, or none when nothing was stored). That transaction ends with the
   * write, so it alone is told to use generic plans: a caller that goes on in its transaction after
   * the hooks (SMS replies, tracking) keeps the planner's usual choice for what it runs next.
   */
  locks(ids: string): ListenerLocks {
    return { statements: [lockValueRowsSql(ids)], queries: [lockPredictionsSql(ids), GENERIC_PLANS_SQL] };
  }

  /** What both recomputations read, in one statement whose snapshot follows the locks. */
  async read(tx: EntityManager, contactIds: string[], calendar: ValueCalendar): Promise<{ value: FactsAndClasses[] } & ReturnType<typeof toPurchasesAndRates>> {
    const values = new SqlValues();
    const ids = contactIdsParam(values, contactIds);
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
    const ids = contactIdsParam(values, contactIds);
    const statements = [...saveValuesSql(values, derived, changes, now), ...replacePredictionsSql(values, ids, values.add(null, 'text'), estimates, now)];
    await this.statements.rows(tx, withStatements(statements), values.values);
  }
}

/** set_config(…, true) lasts until the transaction ends. */
const GENERIC_PLANS_SQL = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`;

/** The placeholder of the contacts' ids: a one-element ARRAY for one contact, so generic plans are costed for one (see above). */
function contactIdsParam(values: SqlValues, contactIds: string[]): string {
  return contactIds.length === 1 ? `ARRAY[${values.add(contactIds[0], 'uuid')}]` : values.add(contactIds, 'uuid[]');
}
