import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Saved segments (a JSON rule over the archive, see src/segments) and the indexes their compiled
 * statements lean on when the planner turns an event condition into one pass over the events:
 * purchases of a product in a time window, and interactions of a kind in a time window.
 */
export class CreateSegments1765238400000 implements MigrationInterface {
  name = 'CreateSegments1765238400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE segments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        description text,
        rule jsonb NOT NULL,
        created_by text NOT NULL,
        -- millisecond precision so a JavaScript Date round-trips exactly in pagination cursors
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        archived_at timestamptz
      )`);
    // A name is unique among live segments; an archived segment's name may be used again.
    await q.query(`CREATE UNIQUE INDEX segments_name_key ON segments (lower(name)) WHERE archived_at IS NULL`);
    await q.query(`CREATE INDEX segments_listing_idx ON segments (created_at, id)`);
    await q.query(`CREATE INDEX purchase_lines_product_time_idx ON purchase_lines (product_key, occurred_at) INCLUDE (contact_id, interaction_id)`);
    await q.query(`CREATE INDEX interactions_kind_time_idx ON interactions (kind, occurred_at) INCLUDE (contact_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX interactions_kind_time_idx`);
    await q.query(`DROP INDEX purchase_lines_product_time_idx`);
    await q.query(`DROP TABLE segments`);
  }
}
