import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes the reports lean on (measured with bench/reports-scale.ts on 1,000,000 outbox rows; figures
 * in the README's Reports section):
 * - replies and bounces are found by message: a campaign's funnel probes these few rows instead of
 *   reading every interaction (purchases and visits outnumber them many times over);
 * - fatigue and channel mix read the campaign messages that went out in a window of weeks.
 */
export class ReportIndexes1765850400000 implements MigrationInterface {
  name = 'ReportIndexes1765850400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX interactions_message_reaction_idx ON interactions (message_id) WHERE kind IN ('message_replied', 'message_bounced') AND message_id IS NOT NULL`);
    // Exactly the messages fatigue and channel mix count, with what they read: an index-only scan of the window.
    await q.query(`
      CREATE INDEX messages_campaign_sent_idx ON messages (sent_at) INCLUDE (campaign_id, contact_id, channel)
       WHERE purpose = 'campaign' AND sent_at IS NOT NULL AND status_rank >= 2 AND status NOT IN ('failed', 'undelivered')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX messages_campaign_sent_idx`);
    await q.query(`DROP INDEX interactions_message_reaction_idx`);
  }
}
