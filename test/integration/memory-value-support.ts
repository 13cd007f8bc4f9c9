import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { createTestApp, TestApp } from '../support/test-app';
import { recreateDatabase, resolvedTestDatabaseUrl } from '../support/test-database';

/**
 * The application on a database of its own (a sibling of the run's test database on the same server),
 * for tests of base-wide runs: ABC and the daily recompute look at every contact, so other test files
 * writing purchases at the same time must not be in the base, and these runs must not reclassify
 * their contacts. Falls back to the shared database when the server is not the local one.
 */
export async function createIsolatedTestApp(suffix: string): Promise<TestApp> {
  const shared = new URL(resolvedTestDatabaseUrl());
  const sharedName = shared.pathname.slice(1);
  if (!sharedName.startsWith('tidings_test_')) return createTestApp();
  const server = new URL(shared);
  server.pathname = '/postgres';
  const name = `${sharedName}_${suffix}`;
  const t = await createTestApp({ DATABASE_URL: await recreateDatabase(server.toString(), name) });
  return {
    ...t,
    close: async () => {
      await t.close();
      const admin = new Client({ connectionString: server.toString() });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

export async function insertContact(db: DataSource | EntityManager, givenName = 'Wei'): Promise<string> {
  const [row]: Array<{ id: string }> = await db.query(`INSERT INTO contacts (external_id, given_name) VALUES ($1, $2) RETURNING id`, [
    `value-${randomUUID()}`,
    givenName,
  ]);
  return row.id;
}

export interface InteractionRow {
  contactId: string;
  kind: 'purchase' | 'service_visit' | 'call';
  occurredAt: Date;
  amount?: number;
  lines?: Array<{ productKey: string; quantity: number; productName?: string }>;
}

/** Writes an interaction (and its purchase lines) the way the interactions module stores them. */
export async function insertInteraction(db: DataSource | EntityManager, row: InteractionRow): Promise<string> {
  const [{ id }]: Array<{ id: string }> = await db.query(
    `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, amount, currency)
     VALUES ($1, $2, $3, $4, 'test', $5, $6) RETURNING id`,
    [row.contactId, `test-${randomUUID()}`, row.kind, row.occurredAt, row.amount ?? null, row.amount === undefined ? null : 'CNY'],
  );
  for (const [i, line] of (row.lines ?? []).entries()) {
    await db.query(
      `INSERT INTO purchase_lines (interaction_id, line_no, contact_id, product_key, product_name, quantity, unit, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'kg', $7)`,
      [id, i + 1, row.contactId, line.productKey, line.productName ?? null, line.quantity, row.occurredAt],
    );
  }
  return id;
}
