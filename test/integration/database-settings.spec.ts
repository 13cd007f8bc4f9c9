import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { resolvedTestDatabaseUrl } from '../support/test-database';

/** Settings every connection of the service starts with, whatever the server's defaults. */
describe('database connection settings', () => {
  it('runs without JIT compilation, which cost reports seconds per query', async () => {
    const db = new DataSource({ ...dataSourceOptions(resolvedTestDatabaseUrl(), 2), migrations: [] });
    await db.initialize();
    try {
      const [{ jit }] = await db.query('SHOW jit');
      expect(jit).toBe('off');
    } finally {
      await db.destroy();
    }
  });
});
