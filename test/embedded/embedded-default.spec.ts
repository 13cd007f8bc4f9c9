import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contactInput } from '../factories/contact.factory';
import { createTestApp, TestApp } from '../support/test-app';

/** The default a new user gets: no DATABASE_URL, PostgreSQL embedded in the process (PGlite). */
describe('embedded database default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-embedded-'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ DATABASE_URL: undefined, EMBEDDED_DB_DIR: join(dataDir, 'db') });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves /health from the embedded database after running the migrations', async () => {
    expect((await t.http.get('/health').expect(200)).body).toEqual({ status: 'ok', database: 'embedded' });
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM schema_migrations`);
    expect(count).toBeGreaterThan(0);
  });

  it('handles concurrent requests: every contact created in parallel is stored once', async () => {
    const inputs = Array.from({ length: 30 }, () => contactInput({ tags: ['parallel'] }));
    const results = await Promise.all(inputs.map((input) => t.http.post('/contacts').set(t.auth('marketer')).send(input)));
    expect(results.map((r) => r.status)).toEqual(inputs.map(() => 201));
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM contacts WHERE 'parallel' = ANY(tags)`);
    expect(count).toBe(30);
  });

  it('isolates concurrent transactions: a rolled-back write is never seen and never saved', async () => {
    let release!: () => void;
    let inserted!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const insertDone = new Promise<void>((resolve) => (inserted = resolve));
    const rolledBack = t.db
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO contacts (given_name, tags) VALUES ('Ghost', '{isolation}')`);
        inserted();
        await held;
        throw new Error('roll back on purpose');
      })
      .catch((error: Error) => error.message);
    await insertDone;
    // The row is written but not committed: other connections' work must not see it.
    const seen = t.db.query(`SELECT count(*)::int AS count FROM contacts WHERE 'isolation' = ANY(tags)`);
    const committed = t.db.transaction((tx) => tx.query(`INSERT INTO contacts (given_name, tags) VALUES ('Kept', '{isolation}')`));
    release();
    expect(await rolledBack).toBe('roll back on purpose');
    const seenMeanwhile = await seen;
    await committed;
    expect(seenMeanwhile).toEqual([{ count: 0 }]);
    const rows = await t.db.query(`SELECT given_name FROM contacts WHERE 'isolation' = ANY(tags)`);
    expect(rows).toEqual([{ given_name: 'Kept' }]);
  });

  it('keeps the data across a restart', async () => {
    const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput()).expect(201);
    await t.close();
    t = await createTestApp({ DATABASE_URL: undefined, EMBEDDED_DB_DIR: join(dataDir, 'db') });
    const read = await t.http.get(`/contacts/${body.id}`).set(t.auth('viewer')).expect(200);
    expect(read.body.email).toBe(body.email);
  });
});
