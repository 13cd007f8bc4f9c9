import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateFoundation1764547200000 implements MigrationInterface {
  name = 'CreateFoundation1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'marketer', 'viewer')),
        key_prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        actor_key_id uuid REFERENCES api_keys(id),
        actor_label text NOT NULL,
        action text NOT NULL,
        entity_type text NOT NULL,
        entity_id text,
        changes jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, occurred_at)`);
    await q.query(`
      CREATE TABLE contacts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        external_id text,
        given_name text,
        family_name text,
        form_of_address text,
        email text,
        phone text,
        address jsonb,
        locale text,
        time_zone text,
        birthday date,
        lunar_birthday_month smallint CHECK (lunar_birthday_month BETWEEN 1 AND 12),
        lunar_birthday_day smallint CHECK (lunar_birthday_day BETWEEN 1 AND 30),
        lunar_birthday_leap boolean NOT NULL DEFAULT false,
        tags text[] NOT NULL DEFAULT '{}',
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        -- millisecond precision so a JavaScript Date round-trips exactly in pagination cursors
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        erased_at timestamptz
      )`);
    // Uniqueness holds among live contacts; a deleted contact's address may be used again.
    await q.query(`CREATE UNIQUE INDEX contacts_external_id_key ON contacts (external_id) WHERE deleted_at IS NULL`);
    await q.query(`CREATE UNIQUE INDEX contacts_email_key ON contacts (lower(email)) WHERE deleted_at IS NULL`);
    await q.query(`CREATE UNIQUE INDEX contacts_phone_key ON contacts (phone) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX contacts_listing_idx ON contacts (created_at, id) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX contacts_tags_idx ON contacts USING gin (tags)`);
    await q.query(`CREATE INDEX contacts_attributes_idx ON contacts USING gin (attributes jsonb_path_ops)`);
    await q.query(`
      CREATE TABLE contact_consent_events (
        id bigserial PRIMARY KEY,
        contact_id uuid NOT NULL REFERENCES contacts(id),
        channel text NOT NULL CHECK (channel IN ('email', 'sms', 'mail')),
        status text NOT NULL CHECK (status IN ('granted', 'revoked')),
        source text NOT NULL,
        consent_text text,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        recorded_by text NOT NULL
      )`);
    await q.query(`CREATE INDEX contact_consent_events_current_idx ON contact_consent_events (contact_id, channel, recorded_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE suppressions (
        identifier_hash text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('email', 'phone', 'external_id')),
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE import_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
        source_name text,
        file_path text NOT NULL,
        total_bytes bigint NOT NULL DEFAULT 0,
        processed_bytes bigint NOT NULL DEFAULT 0,
        rows_seen integer NOT NULL DEFAULT 0,
        rows_created integer NOT NULL DEFAULT 0,
        rows_updated integer NOT NULL DEFAULT 0,
        rows_unchanged integer NOT NULL DEFAULT 0,
        rows_failed integer NOT NULL DEFAULT 0,
        failure text,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE import_row_errors (
        job_id uuid NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
        line integer NOT NULL,
        field text NOT NULL,
        problem text NOT NULL,
        PRIMARY KEY (job_id, line, field)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['import_row_errors', 'import_jobs', 'suppressions', 'contact_consent_events', 'contacts', 'audit_log', 'api_keys']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
