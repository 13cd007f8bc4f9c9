import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYSTEM_ACTOR } from '../../src/auth/actor';
import { ImportProgress } from '../../src/contacts/import/contact-import.processor';
import { ContactImportService } from '../../src/contacts/import/contact-import.service';
import { ContactImportFile } from '../factories/contact-import.factory';
import { allRowErrors, contactsOf, expectRowErrors, waitForImport } from '../fixtures/import-jobs';
import { createTestApp, TestApp } from '../support/test-app';

describe('contact import: the CLI path and resuming', () => {
  // Three batches of 1,000 (smaller than the default, which would take the file in one): enough
  // to stop after the first and resume in the middle.
  const batchRows = 1000;
  const file = new ContactImportFile(2100, { badEvery: 53 });
  let t: TestApp;
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidings-cli-'));
    path = join(dir, 'contacts.csv');
    writeFileSync(path, file.toString());
    t = await createTestApp({ IMPORT_DIR: join(dir, 'uploads') });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes, at the start of the service, a job stopped after its first batch, and ends as if never stopped', async () => {
    // Stop after the first batch, as a process that is shut down would.
    const stop = new AbortController();
    const progress: ImportProgress[] = [];
    const interrupted = await t.app.get(ContactImportService).importFile(path, {
      actor: SYSTEM_ACTOR,
      batchRows,
      signal: stop.signal,
      onProgress: (p) => {
        progress.push(structuredClone(p));
        stop.abort();
      },
    });
    expect(interrupted.job).toMatchObject({ status: 'running', rows: { seen: 1000 } });
    expect(progress).toHaveLength(1);
    const [row] = await t.db.query(`SELECT checkpoint_line, lease_owner FROM import_jobs WHERE id = $1`, [interrupted.job.id]);
    expect(row).toEqual({ checkpoint_line: 1001, lease_owner: null });

    const restarted = await createTestApp({ IMPORT_DIR: join(dir, 'uploads') });
    try {
      const resumed = await waitForImport(restarted, interrupted.job.id);
      expect(resumed.rows).toEqual({ seen: 2100, created: file.goodCount, updated: 0, unchanged: 0, failed: file.badCount });
      expectRowErrors(await allRowErrors(restarted, resumed.id), file);
      expect(await contactsOf(t, file)).toHaveLength(file.goodCount);
      const audit = await t.db.query(`SELECT changes FROM audit_log WHERE entity_id = $1`, [resumed.id]);
      expect(audit).toEqual([{ changes: { status: 'completed', format: 'csv', rows: resumed.rows } }]);
    } finally {
      await restarted.close();
    }
  });

  it('runs the CLI path in-process, reporting progress by bytes after every batch', async () => {
    const progress: ImportProgress[] = [];
    const outcome = await t.app.get(ContactImportService).importFile(path, {
      actor: SYSTEM_ACTOR,
      batchRows,
      onProgress: (p) => progress.push(structuredClone(p)),
    });
    expect(outcome.job).toMatchObject({
      status: 'completed',
      sourceName: 'contacts.csv',
      rows: { seen: 2100, created: 0, updated: 0, unchanged: file.goodCount, failed: file.badCount },
    });
    expect(progress.map((p) => p.rows.seen)).toEqual([1000, 2000, 2100]);
    const bytes = progress.map((p) => p.processedBytes);
    expect(bytes).toEqual([...bytes].sort((x, y) => x - y));
    expect(bytes[2]).toBe(outcome.job.bytes.total);
    expect(outcome.firstErrors).toEqual(file.expectedErrors.slice(0, 20).map((e) => expect.objectContaining({ line: e.line, field: e.field })));
    // The CLI user's own file is theirs to keep.
    expect(readdirSync(dir)).toContain('contacts.csv');
  });
});
