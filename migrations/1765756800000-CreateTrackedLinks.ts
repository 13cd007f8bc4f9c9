import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The destinations of tracked e-mail links. One row per campaign and distinct URL (not per link per
 * message): the id is a hash of both, so the sender knows it without asking the database, writes the
 * row once (INSERT … ON CONFLICT DO NOTHING) and puts the id in each recipient's signed click token.
 * A click redirects only to the URL stored here. Opens and clicks themselves are `message_events`
 * rows (status 'opened' / 'clicked') and interactions in the memory layer; no table of their own.
 */
export class CreateTrackedLinks1765756800000 implements MigrationInterface {
  name = 'CreateTrackedLinks1765756800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tracked_links (
        id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{16}$'),
        campaign_id text,
        url text NOT NULL CHECK (url ~* '^https?://' AND length(url) <= 4096),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX tracked_links_campaign_idx ON tracked_links (campaign_id) WHERE campaign_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tracked_links`);
  }
}
