import { Client } from 'pg';
import type { EmbeddedPostgres } from '../src/database/embedded/embedded-postgres';
import { RESOLVED_URL_VARIABLE } from './support/test-database';

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as { tidingsEmbedded?: EmbeddedPostgres }).tidingsEmbedded;
  if (embedded) {
    await embedded.stop();
    return;
  }
  // Drop the per-run database on the local server; a TEST_DATABASE_URL is left as it was given.
  const url = new URL(process.env[RESOLVED_URL_VARIABLE] ?? '');
  if (!process.env.TEST_DATABASE_URL && url.pathname.startsWith('/tidings_test_') && !process.env.KEEP_TEST_DATABASE) {
    const name = url.pathname.slice(1);
    url.pathname = '/postgres';
    const admin = new Client({ connectionString: url.toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}
