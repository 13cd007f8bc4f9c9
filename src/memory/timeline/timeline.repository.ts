import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

type Row = Record<string, unknown>;

/**
 * Reads the derived and outbound memory other modules write (value, signals, run-out predictions,
 * messages, guard decisions) with plain SQL. Rows go out whole via to_jsonb, so a column added
 * by the owning module shows up here without a change; contact_id is left out as it is the path.
 */
@Injectable()
export class TimelineRepository {
  async value(db: EntityManager, contactId: string): Promise<Row | null> {
    const rows = await this.rows(db, `SELECT to_jsonb(t) - 'contact_id' AS row FROM contact_value t WHERE t.contact_id = $1`, [contactId]);
    return rows[0] ?? null;
  }

  valueSignals(db: EntityManager, contactId: string, limit: number): Promise<Row[]> {
    return this.rows(
      db,
      `SELECT to_jsonb(t) - 'contact_id' AS row FROM value_signals t WHERE t.contact_id = $1 ORDER BY t.detected_at DESC, t.id DESC LIMIT $2`,
      [contactId, limit],
    );
  }

  /** Soonest run-out first: the order in which someone should act. */
  predictedRunOuts(db: EntityManager, contactId: string): Promise<Row[]> {
    return this.rows(
      db,
      `SELECT to_jsonb(t) - 'contact_id' AS row FROM replenishment_predictions t WHERE t.contact_id = $1 ORDER BY t.run_out_on, t.product_key`,
      [contactId],
    );
  }

  messages(db: EntityManager, contactId: string, limit: number): Promise<Row[]> {
    return this.rows(
      db,
      `SELECT to_jsonb(t) - 'contact_id' AS row FROM contact_messages t WHERE t.contact_id = $1 ORDER BY t.created_at DESC, t.id DESC LIMIT $2`,
      [contactId, limit],
    );
  }

  guardDecisions(db: EntityManager, contactId: string, limit: number): Promise<Row[]> {
    return this.rows(
      db,
      `SELECT to_jsonb(t) - 'contact_id' AS row FROM guard_decisions t WHERE t.contact_id = $1 ORDER BY t.decided_at DESC, t.id DESC LIMIT $2`,
      [contactId, limit],
    );
  }

  private async rows(db: EntityManager, sql: string, params: unknown[]): Promise<Row[]> {
    const result: Array<{ row: Row }> = await db.query(sql, params);
    return result.map((r) => camelKeys(r.row));
  }
}

/** snake_case column names to the API's camelCase (one level: nested JSON is the owner's own shape). */
function camelKeys(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), v]));
}
