import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { EmbeddedPostgres } from '../src/database/embedded/embedded-postgres';
import { isReachable, recreateDatabase, RESOLVED_URL_VARIABLE } from './support/test-database';

/**
 * Chooses the database for the whole run — TEST_DATABASE_URL, else the PostgreSQL at
 * 127.0.0.1:5432, else the embedded PGlite — and migrates it once.
 */
export default async function globalSetup(): Promise<void> {
  let url: string;
  let kind: string;
  if (process.env.TEST_DATABASE_URL) {
    url = process.env.TEST_DATABASE_URL;
    kind = 'TEST_DATABASE_URL';
  } else if (await isReachable('127.0.0.1', 5432)) {
    url = await recreateDatabase('postgres://postgres@127.0.0.1:5432/postgres', `tidings_test_${process.pid}`);
    kind = 'local PostgreSQL';
  } else {
    const embedded = await EmbeddedPostgres.start(mkdtempSync(join(tmpdir(), 'tidings-test-db-')));
    (globalThis as { tidingsEmbedded?: EmbeddedPostgres }).tidingsEmbedded = embedded;
    url = embedded.url;
    kind = 'embedded PGlite';
  }
  const db = new DataSource(dataSourceOptions(url, 2));
  await db.initialize();
  await db.runMigrations({ transaction: 'each' });
  await db.destroy();
  process.env[RESOLVED_URL_VARIABLE] = url;
  process.stderr.write(`\nTests use ${kind}: ${url.replace(/\/\/[^@]*@/, '//')}\n`);
}
