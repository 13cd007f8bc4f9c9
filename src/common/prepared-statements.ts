import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { DatabaseLocation } from '../database/database.module';

const statementNames = new Map<string, string>();

/**
 * Runs the statements of the request paths that run hundreds of times a second (a contact read,
 * recording an interaction) as named statements: PostgreSQL parses and plans each once per pooled
 * connection instead of on every request. For these statements planning cost about as much as
 * running them, on the two cores the database shares with the service.
 *
 * A `text` must be one of a fixed set of statements (built the same way every time, values only in
 * `values`): each distinct text is prepared on every connection that runs it. Its name is derived
 * from the text, so two statements never share a name.
 *
 * The embedded database serves all connections from one session, where one connection's named
 * statement would collide with another's: there (and for callers without the injected instance)
 * statements run unnamed, as every other query does.
 *
 * A statement runs on the manager's connection (inside its transaction when the manager has one),
 * and its errors are TypeORM's QueryFailedError like every other query's, so the error filter and the
 * deadlock retries treat them alike.
 */
@Injectable()
export class PreparedStatements {
  static readonly unnamed = new PreparedStatements(null);

  private readonly named: boolean;

  // The token is explicit: a union type's design metadata is Object, which Nest cannot resolve.
  constructor(@Optional() @Inject(DatabaseLocation) location: DatabaseLocation | null) {
    this.named = location?.kind === 'postgres';
  }

  async rows<Row>(db: EntityManager, text: string, values: unknown[]): Promise<Row[]> {
    if (!this.named) return db.query(text, values);
    let name = statementNames.get(text);
    if (name === undefined) {
      name = `tid_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
      statementNames.set(text, name);
    }
    const config = { name, text, values };
    try {
      const runner = db.queryRunner as PostgresQueryRunner | undefined;
      if (runner) {
        const client = (await runner.connect()) as PoolClient;
        return (await client.query(config)).rows as Row[];
      }
      const pool = (db.connection.driver as PostgresDriver).master as Pool;
      return (await pool.query(config)).rows as Row[];
    } catch (error) {
      if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') throw new QueryFailedError(text, values, error);
      throw error;
    }
  }
}

/**
 * The values of a statement assembled from fragments (each repository writes its own part): each
 * fragment asks for the placeholder of each value it needs, so the parts never clash over `$n`.
 */
export class SqlValues {
  readonly values: unknown[] = [];

  /** `$n::type` for this value. */
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** One statement that runs data-modifying statements (INSERT, UPDATE, DELETE without RETURNING) together. */
export function withStatements(statements: string[]): string {
  return `WITH ${statements.map((statement, i) => `w${i} AS (${statement})`).join(',\n')}\nSELECT 1`;
}
