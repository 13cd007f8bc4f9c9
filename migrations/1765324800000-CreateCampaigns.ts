import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaigns and the outbox they fill. An outbox row is one recipient and one occasion of one campaign;
 * the unique key makes materialising an audience or re-evaluating a trigger harmless to repeat, and the
 * row's state is the only resume checkpoint there is (it moves per message, never per batch).
 */
export class CreateCampaigns1765324800000 implements MigrationInterface {
  name = 'CreateCampaigns1765324800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE campaigns (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind IN ('broadcast', 'trigger')),
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')),
        segment_id uuid,
        audience_rule jsonb,
        template_key text NOT NULL,
        channels text[] NOT NULL CHECK (array_length(channels, 1) >= 1 AND channels <@ ARRAY['email', 'sms', 'mail']),
        prefer_contact_channel boolean NOT NULL DEFAULT true,
        schedule jsonb NOT NULL DEFAULT '{}'::jsonb,
        trigger jsonb,
        guard_policy jsonb NOT NULL DEFAULT '{}'::jsonb,
        care_exempt boolean NOT NULL DEFAULT false,
        max_attempts smallint NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 20),
        print_options jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        paused_at timestamptz,
        finished_at timestamptz,
        materialized_at timestamptz,
        evaluated_until timestamptz
      )`);
    await q.query(`CREATE INDEX campaigns_status_idx ON campaigns (status) WHERE status IN ('scheduled', 'running')`);
    await q.query(`
      CREATE TABLE outbox_messages (
        id bigserial PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaigns(id),
        contact_id uuid NOT NULL REFERENCES contacts(id),
        occasion_key text NOT NULL,
        due_at timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processing', 'sending', 'sent', 'failed', 'skipped', 'dead')),
        channel text CHECK (channel IN ('email', 'sms', 'mail')),
        variant text,
        attempts smallint NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
        lease_owner text,
        lease_until timestamptz,
        guard_message_id uuid,
        message_id uuid,
        reason text,
        last_error text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        UNIQUE (campaign_id, contact_id, occasion_key)
      )`);
    // The worker's claim, per running campaign: due, pending rows in due order. Partial, so finished
    // rows cost nothing, and per campaign, so a paused campaign's backlog is never scanned.
    await q.query(`CREATE INDEX outbox_messages_claim_idx ON outbox_messages (campaign_id, greatest(due_at, next_attempt_at), id) WHERE state = 'pending'`);
    await q.query(`CREATE INDEX outbox_messages_lease_idx ON outbox_messages (lease_until) WHERE state IN ('processing', 'sending')`);
    await q.query(`CREATE INDEX outbox_messages_campaign_state_idx ON outbox_messages (campaign_id, state)`);
    await q.query(`CREATE INDEX outbox_messages_contact_idx ON outbox_messages (contact_id)`);
    // The birthday trigger's lookups: "whose birthday is one of these month-days" without a scan.
    await q.query(`CREATE INDEX contacts_birthday_month_day_idx ON contacts ((extract(month FROM birthday)::int * 100 + extract(day FROM birthday)::int)) WHERE birthday IS NOT NULL`);
    await q.query(`CREATE INDEX contacts_lunar_birthday_idx ON contacts ((lunar_birthday_month * 100 + lunar_birthday_day)) WHERE lunar_birthday_month IS NOT NULL`);
    await q.query(`CREATE INDEX preference_statements_key_value_idx ON preference_statements (key, value) WHERE key = 'birthday_calendar'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX preference_statements_key_value_idx`);
    await q.query(`DROP INDEX contacts_lunar_birthday_idx`);
    await q.query(`DROP INDEX contacts_birthday_month_day_idx`);
    await q.query(`DROP TABLE outbox_messages`);
    await q.query(`DROP TABLE campaigns`);
  }
}
