import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Print-house batches of the direct-mail channel: one row per export (a CSV and a PDF under
 * OUTBOX_DIR/mail/<id>/), with the contacts that got no letter and why. Each letter in it is a
 * `messages` row (channel 'mail', provider 'print') carrying the batch id.
 */
export class CreateDirectMailBatches1765152000000 implements MigrationInterface {
  name = 'CreateDirectMailBatches1765152000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE direct_mail_batches (
        id uuid PRIMARY KEY,
        format text NOT NULL CHECK (format IN ('a4', 'letter', 'a6')),
        kind text NOT NULL CHECK (kind IN ('letter', 'birthday-card')),
        status text NOT NULL CHECK (status IN ('rendering', 'ready', 'empty', 'failed')),
        campaign_id text,
        occasion_key text,
        template_key text,
        locale text,
        posted_from text,
        as_of timestamptz NOT NULL,
        requested_count integer NOT NULL,
        letter_count integer NOT NULL DEFAULT 0,
        skipped_count integer NOT NULL DEFAULT 0,
        -- [{contactId, reason}]; contactId becomes null when that person is erased
        skipped jsonb NOT NULL DEFAULT '[]'::jsonb,
        csv_path text,
        csv_sha256 text,
        csv_bytes bigint,
        pdf_path text,
        pdf_sha256 text,
        pdf_bytes bigint,
        page_count integer,
        render_ms integer,
        error_message text,
        files_purged_at timestamptz,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        created_by text NOT NULL,
        created_by_key_id uuid REFERENCES api_keys(id),
        completed_at timestamptz
      )`);
    await q.query(`CREATE INDEX direct_mail_batches_listing_idx ON direct_mail_batches (created_at DESC, id DESC)`);
    // Export and erasure find a person's skipped entries by containment.
    await q.query(`CREATE INDEX direct_mail_batches_skipped_idx ON direct_mail_batches USING gin (skipped jsonb_path_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE direct_mail_batches`);
  }
}
