import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys limited to listed campaigns, so a partner or a team can read its own campaigns' reports
 * without seeing anyone else's recipients. `campaign_scoped` says whether the list applies, rather
 * than "has rows": a scoped key must never turn into an unscoped one because its list became empty.
 * Campaigns in a list cannot be deleted (no cascade) for the same reason. Admin keys manage keys and
 * erasure across the whole base, so they are never scoped.
 */
export class CampaignScopedApiKeys1765846800000 implements MigrationInterface {
  name = 'CampaignScopedApiKeys1765846800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN campaign_scoped boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_admin_unscoped CHECK (NOT (campaign_scoped AND role = 'admin'))`);
    await q.query(`
      CREATE TABLE api_key_campaigns (
        api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        campaign_id uuid NOT NULL REFERENCES campaigns(id),
        PRIMARY KEY (api_key_id, campaign_id)
      )`);
    await q.query(`CREATE INDEX api_key_campaigns_campaign_idx ON api_key_campaigns (campaign_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_key_campaigns`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_admin_unscoped`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN campaign_scoped`);
  }
}
