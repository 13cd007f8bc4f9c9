import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DEFAULT_ROWS_OF, PersonalDataTable, quoteIdent } from './personal-data';

/** The SQL behind export, erasure and the completeness check; table names come from declarations. */
@Injectable()
export class PersonalDataRepository {
  /** Every table (not view: views show the same rows again) with a contact_id column. */
  async tablesWithContactId(tx: EntityManager): Promise<string[]> {
    const rows: Array<{ table_name: string }> = await tx.query(
      `SELECT c.table_name
         FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = current_schema() AND c.column_name = 'contact_id' AND t.table_type = 'BASE TABLE'
        ORDER BY c.table_name`,
    );
    return rows.map((r) => r.table_name);
  }

  /** Column names of each base table in the schema. */
  async columnsByTable(tx: EntityManager): Promise<Map<string, string[]>> {
    const rows: Array<{ table_name: string; column_name: string }> = await tx.query(
      `SELECT c.table_name, c.column_name
         FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
        ORDER BY c.table_name, c.ordinal_position`,
    );
    const byTable = new Map<string, string[]>();
    for (const row of rows) byTable.set(row.table_name, [...(byTable.get(row.table_name) ?? []), row.column_name]);
    return byTable;
  }

  /** Null when the contact never existed; soft-deleted and erased contacts are found. */
  async findContact(tx: EntityManager, contactId: string, forUpdate: boolean) {
    const [row]: Array<{ email: string | null; phone: string | null; external_id: string | null; erased_at: Date | null }> = await tx.query(
      `SELECT email, phone, external_id, erased_at FROM contacts WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [contactId],
    );
    return row ?? null;
  }

  /** The rows as stored, column names and all, so the export is what we hold and not a view of it. */
  async rowsOf(tx: EntityManager, table: PersonalDataTable, contactId: string): Promise<unknown[]> {
    const order = table.orderBy ? `ORDER BY ${table.orderBy}` : '';
    const rows: Array<{ row: unknown }> = await tx.query(
      `SELECT to_jsonb(t) AS row FROM ${quoteIdent(table.table)} t WHERE ${table.rowsOf ?? DEFAULT_ROWS_OF} ${order}`,
      [contactId],
    );
    return rows.map((r) => r.row);
  }

  async deleteRows(tx: EntityManager, table: PersonalDataTable, contactId: string): Promise<number> {
    const [, affected]: [unknown, number] = await tx.query(
      `DELETE FROM ${quoteIdent(table.table)} t WHERE ${table.rowsOf ?? DEFAULT_ROWS_OF}`,
      [contactId],
    );
    return affected;
  }

  async updateRows(tx: EntityManager, table: PersonalDataTable, set: Record<string, string>, contactId: string): Promise<number> {
    const assignments = Object.entries(set).map(([column, value]) => `${quoteIdent(column)} = ${value}`);
    const [, affected]: [unknown, number] = await tx.query(
      `UPDATE ${quoteIdent(table.table)} t SET ${assignments.join(', ')} WHERE ${table.rowsOf ?? DEFAULT_ROWS_OF}`,
      [contactId],
    );
    return affected;
  }

  async erasedAt(tx: EntityManager, contactId: string): Promise<Date> {
    const [row]: Array<{ erased_at: Date }> = await tx.query(`SELECT erased_at FROM contacts WHERE id = $1`, [contactId]);
    return row.erased_at;
  }
}
