import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A job remembers the contacts it has written, one row per accepted file row, instead of three or
 * four hashed identifier keys per row (import_job_keys). The identifiers an accepted row gave are
 * then held by the contact it wrote, so the import's own match against live contacts finds a
 * repeated identifier, and this table says whether (and on which line) the job wrote that contact:
 * "duplicate of line N" after a resume needs a fraction of the writes. `identifiers` is a bit set of
 * the kinds the row gave (1 external id, 2 e-mail, 4 phone). Rows live only while their job runs.
 */
export class ImportJobContacts1765843200000 implements MigrationInterface {
  name = 'ImportJobContacts1765843200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE import_job_contacts (
        job_id uuid NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
        contact_id uuid NOT NULL,
        line integer NOT NULL,
        identifiers smallint NOT NULL,
        PRIMARY KEY (job_id, contact_id)
      )`);
    await q.query(`DROP TABLE import_job_keys`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE import_job_keys (
        job_id uuid NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
        key bytea NOT NULL,
        line integer NOT NULL,
        PRIMARY KEY (job_id, key)
      )`);
    await q.query(`DROP TABLE import_job_contacts`);
  }
}
