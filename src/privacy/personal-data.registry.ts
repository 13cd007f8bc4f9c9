import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CONTACT_PERSONAL_DATA } from './contact-personal-data';
import { MEMORY_PERSONAL_DATA } from './memory-personal-data';
import { PersonalDataTable } from './personal-data';
import { PersonalDataRepository } from './personal-data.repository';

/**
 * Which tables hold a contact's data and how each is erased. A module that adds such a table
 * injects this registry and declares it (in its constructor, so it is there before the first
 * request). `gaps()` compares the declarations with the live schema; the integration suite asserts
 * it finds none, so a new contact_id table or column without a reviewed rule fails CI rather than
 * an erasure in production.
 */
@Injectable()
export class PersonalDataRegistry {
  private readonly tables = new Map<string, PersonalDataTable>();

  constructor(private readonly repository: PersonalDataRepository) {
    this.declare(...MEMORY_PERSONAL_DATA, ...CONTACT_PERSONAL_DATA);
  }

  declare(...tables: PersonalDataTable[]): void {
    for (const table of tables) {
      // Two rules for one table would make the outcome depend on module order.
      if (this.tables.has(table.table)) throw new Error(`Personal data in ${table.table} is declared twice`);
      this.tables.set(table.table, table);
    }
  }

  /** In declaration order, which is the order erasure runs in. */
  declared(): PersonalDataTable[] {
    return [...this.tables.values()];
  }

  /** Tables with a contact_id column that nobody declared: exported anyway, deleted on erasure. */
  async undeclared(tx: EntityManager): Promise<PersonalDataTable[]> {
    const discovered = await this.repository.tablesWithContactId(tx);
    return discovered.filter((table) => !this.tables.has(table)).map((table) => ({ table, erasure: { rule: 'delete' } }));
  }

  /** Every mismatch between the declarations and the schema, as sentences; empty when complete. */
  async gaps(tx: EntityManager): Promise<string[]> {
    const columns = await this.repository.columnsByTable(tx);
    const problems = (await this.undeclared(tx)).map((t) => `${t.table} has a contact_id column but no declared erasure rule`);
    for (const table of this.tables.values()) {
      const actual = columns.get(table.table);
      if (!actual) {
        problems.push(`${table.table} is declared but is not a table in the database`);
        continue;
      }
      const { erasure } = table;
      if (erasure.rule === 'delete') continue;
      const accounted = [...(erasure.rule === 'scrub' ? Object.keys(erasure.set) : erasure.scrubs), ...erasure.keep];
      for (const column of actual.filter((c) => !accounted.includes(c))) {
        problems.push(`${table.table}.${column} is neither erased nor kept on purpose`);
      }
      for (const column of accounted.filter((c) => !actual.includes(c))) {
        problems.push(`${table.table}.${column} is declared but is not a column`);
      }
    }
    return problems;
  }
}
