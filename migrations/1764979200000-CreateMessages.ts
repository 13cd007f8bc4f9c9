import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What left through a channel: one `messages` row per hand-over to a provider (an SMTP relay, Twilio,
 * a print batch, or the file outbox), and the provider's later word on it in `message_events`.
 * A retry is a new row, so every attempt and its outcome stays visible.
 */
export class CreateMessages1764979200000 implements MigrationInterface {
  name = 'CreateMessages1764979200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel text NOT NULL CHECK (channel IN ('email', 'sms', 'mail')),
        provider text NOT NULL,
        contact_id uuid REFERENCES contacts(id),
        campaign_id text,
        occasion_key text,
        purpose text NOT NULL DEFAULT 'campaign' CHECK (purpose IN ('campaign', 'test', 'transactional')),
        template_key text,
        template_version integer,
        variant text,
        locale text,
        recipient text NOT NULL,
        subject text,
        status text NOT NULL CHECK (status IN ('sending', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'bounced', 'read')),
        status_rank smallint NOT NULL,
        provider_message_id text,
        error_kind text CHECK (error_kind IN ('transient', 'permanent', 'ambiguous')),
        error_code text,
        error_message text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        batch_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX messages_provider_id_idx ON messages (provider, provider_message_id) WHERE provider_message_id IS NOT NULL`);
    await q.query(`CREATE INDEX messages_contact_idx ON messages (contact_id, created_at)`);
    await q.query(`CREATE INDEX messages_campaign_idx ON messages (campaign_id, created_at) WHERE campaign_id IS NOT NULL`);
    await q.query(`CREATE INDEX messages_batch_idx ON messages (batch_id) WHERE batch_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE message_events (
        id bigserial PRIMARY KEY,
        message_id uuid NOT NULL REFERENCES messages(id),
        status text NOT NULL,
        provider_status text,
        applied boolean NOT NULL,
        occurred_at timestamptz,
        received_at timestamptz NOT NULL DEFAULT now(),
        payload jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX message_events_message_idx ON message_events (message_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE message_events`);
    await q.query(`DROP TABLE messages`);
  }
}
