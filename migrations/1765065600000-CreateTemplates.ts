import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Templates edited through the API. A template is one message in one channel, locale and variant;
 * its content lives in numbered versions: at most one draft (being edited) and one published (what
 * is sent); earlier published ones are kept as `retired`, so any of them can be published again.
 * Archiving keeps everything and frees the key for a new template.
 */
export class CreateTemplates1765065600000 implements MigrationInterface {
  name = 'CreateTemplates1765065600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE templates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        key text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
        channel text NOT NULL CHECK (channel IN ('email', 'sms', 'mail')),
        locale text NOT NULL,
        variant text NOT NULL DEFAULT 'default' CHECK (variant ~ '^[a-z0-9][a-z0-9_-]{0,31}$' AND variant <> 'text'),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        archived_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX templates_live_idx ON templates (key, channel, locale, variant) WHERE archived_at IS NULL`);
    await q.query(`
      CREATE TABLE template_versions (
        template_id uuid NOT NULL REFERENCES templates(id),
        version integer NOT NULL CHECK (version > 0),
        state text NOT NULL CHECK (state IN ('draft', 'published', 'retired')),
        subject text,
        html text,
        text text,
        body text,
        layout text,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        PRIMARY KEY (template_id, version),
        CHECK ((state = 'draft') = (published_at IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX template_versions_one_draft_idx ON template_versions (template_id) WHERE state = 'draft'`);
    await q.query(`CREATE UNIQUE INDEX template_versions_one_published_idx ON template_versions (template_id) WHERE state = 'published'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE template_versions`);
    await q.query(`DROP TABLE templates`);
  }
}
