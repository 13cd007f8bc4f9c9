import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PreferenceKey } from './preference-key.entity';
import { PreferenceValue, StatementSource } from './preference-rules';

/** A statement as stored, in the API's field names. */
export interface StatementRow {
  id: string;
  contactId: string;
  key: string;
  value: PreferenceValue | null;
  source: StatementSource;
  authority: number;
  recordedBy: string;
  statedAt: Date;
  recordedAt: Date;
  expiresAt: Date | null;
  confidence: number;
  note: string | null;
}

export type NewStatement = Omit<StatementRow, 'id' | 'recordedAt'>;

const STATEMENT_COLUMNS = `id::text AS "id", contact_id AS "contactId", key, value, source, authority, recorded_by AS "recordedBy",
  stated_at AS "statedAt", recorded_at AS "recordedAt", expires_at AS "expiresAt", confidence, note`;

@Injectable()
export class PreferencesRepository {
  keys(db: EntityManager, keys: string[]): Promise<PreferenceKey[]> {
    return db.getRepository(PreferenceKey).createQueryBuilder('k').where('k.key = ANY(:keys)', { keys }).getMany();
  }

  /** All statements in one multi-row insert, whatever their number. */
  async insert(tx: EntityManager, statements: NewStatement[]): Promise<StatementRow[]> {
    return tx.query(
      `INSERT INTO preference_statements (contact_id, key, value, source, authority, recorded_by, stated_at, expires_at, confidence, note)
       SELECT s."contactId", s.key, s.value, s.source, s.authority, s."recordedBy", s."statedAt", s."expiresAt", s.confidence, s.note
         FROM jsonb_to_recordset($1::jsonb) AS s("contactId" uuid, key text, value jsonb, source text, authority smallint,
              "recordedBy" text, "statedAt" timestamptz, "expiresAt" timestamptz, confidence real, note text)
       RETURNING ${STATEMENT_COLUMNS}`,
      // jsonb_to_recordset turns a JSON null into SQL NULL, which is exactly a withdrawal.
      [JSON.stringify(statements)],
    );
  }

  /** The winning statement per (contact, key), for any number of contacts in one query. */
  current(db: EntityManager, contactIds: string[]): Promise<StatementRow[]> {
    return db.query(
      `SELECT ${STATEMENT_COLUMNS} FROM current_preferences WHERE contact_id = ANY($1::uuid[]) ORDER BY contact_id, key`,
      [contactIds],
    );
  }

  /** Every statement of a contact (optionally of one key) in the order they were made. */
  history(db: EntityManager, contactId: string, key?: string): Promise<StatementRow[]> {
    return db.query(
      `SELECT ${STATEMENT_COLUMNS} FROM preference_statements
        WHERE contact_id = $1 AND ($2::text IS NULL OR key = $2)
        ORDER BY key, stated_at, id`,
      [contactId, key ?? null],
    );
  }

  async statementCount(db: EntityManager, key: string): Promise<number> {
    const [row]: Array<{ count: number }> = await db.query(`SELECT count(*)::int AS count FROM preference_statements WHERE key = $1`, [key]);
    return row.count;
  }

  /** Values customers currently hold for a key that are not among `allowed`. */
  async currentValuesOutside(db: EntityManager, key: string, allowed: string[]): Promise<string[]> {
    const rows: Array<{ v: string }> = await db.query(
      `SELECT DISTINCT e.v
         FROM current_preferences cp
        CROSS JOIN LATERAL jsonb_array_elements_text(
              CASE jsonb_typeof(cp.value) WHEN 'array' THEN cp.value ELSE jsonb_build_array(cp.value) END) AS e(v)
        WHERE cp.key = $1 AND NOT (e.v = ANY($2::text[]))
        ORDER BY e.v`,
      [key, allowed],
    );
    return rows.map((r) => r.v);
  }
}
