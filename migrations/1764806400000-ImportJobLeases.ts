import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a bulk import needs beyond the tables the foundation created:
 * - a checkpoint (the last file line whose row is committed) and a lease, so a job left behind by a
 *   stopped process is taken over by exactly one running instance and continues where it stopped;
 * - the key that started the job, so its one audit row names that key;
 * - import_job_keys, the identifiers (and contacts) a job has already accepted, so "duplicate of
 *   line N" is found without holding every key of a multi-million-row file in memory. A key is the
 *   first 16 bytes of a keyed hash, never an identifier, and lives only while its job runs; 16
 *   bytes rather than the full hex text keep a large job's table small enough to stay cached.
 */
export class ImportJobLeases1764806400000 implements MigrationInterface {
  name = 'ImportJobLeases1764806400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE import_jobs
        ADD COLUMN checkpoint_line integer NOT NULL DEFAULT 0,
        ADD COLUMN lease_owner text,
        ADD COLUMN lease_expires_at timestamptz,
        ADD COLUMN created_by_key_id uuid REFERENCES api_keys(id)`);
    await q.query(`CREATE INDEX import_jobs_unfinished_idx ON import_jobs (created_at) WHERE status IN ('queued', 'running')`);
    await q.query(`
      CREATE TABLE import_job_keys (
        job_id uuid NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
        key bytea NOT NULL,
        line integer NOT NULL,
        PRIMARY KEY (job_id, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE import_job_keys`);
    await q.query(`DROP INDEX import_jobs_unfinished_idx`);
    await q.query(`
      ALTER TABLE import_jobs
        DROP COLUMN created_by_key_id,
        DROP COLUMN lease_expires_at,
        DROP COLUMN lease_owner,
        DROP COLUMN checkpoint_line`);
  }
}
