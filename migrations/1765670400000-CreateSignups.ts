import { MigrationInterface, QueryRunner } from 'typeorm';

/** Labels of the seeded `topics` choices, so the sign-up form reads as words in both languages. */
const TOPIC_LABELS = {
  en: { care: 'Care and service tips', news: 'News', offers: 'Offers', events: 'Events and invitations' },
  'zh-CN': { care: '关怀与服务提示', news: '新闻动态', offers: '优惠活动', events: '活动与邀请' },
};

/**
 * Sign-up with double opt-in. A contact created by the public form is `pending` until the person
 * clicks the link in the confirmation e-mail; a pending contact is in no audience (segments and
 * campaigns only see `status = 'active'`). Contacts created any other way are active, as before.
 *
 * `signup_requests` holds the latest unconfirmed request per contact: what the visitor chose
 * (topics, phone, locale) and the exact consent wording they were shown, none of it applied to the
 * archive until confirmed. Its `confirmation_sent_at` is the throttle: a confirmation e-mail is
 * sent only by the one transaction whose conditional UPDATE moves it forward, so at most one an
 * hour goes to an address whatever the number of processes.
 */
export class CreateSignups1765670400000 implements MigrationInterface {
  name = 'CreateSignups1765670400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active'))`);
    // Few rows: pending contacts are a short-lived minority, listed for clean-up of unconfirmed ones.
    await q.query(`CREATE INDEX contacts_pending_idx ON contacts (created_at) WHERE status = 'pending'`);
    await q.query(`
      CREATE TABLE signup_requests (
        contact_id uuid PRIMARY KEY REFERENCES contacts(id),
        given_name text,
        phone text,
        locale text NOT NULL,
        topics jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(topics) = 'array'),
        consent_text text NOT NULL,
        request_count integer NOT NULL DEFAULT 1,
        first_requested_at timestamptz NOT NULL DEFAULT now(),
        last_requested_at timestamptz NOT NULL DEFAULT now(),
        confirmation_sent_at timestamptz,
        confirmed_at timestamptz
      )`);
    await q.query(
      `UPDATE preference_keys SET value_labels = $1::jsonb, updated_at = now() WHERE key = 'topics' AND value_labels = '{}'::jsonb`,
      [JSON.stringify(TOPIC_LABELS)],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE preference_keys SET value_labels = '{}'::jsonb WHERE key = 'topics' AND value_labels = $1::jsonb`, [JSON.stringify(TOPIC_LABELS)]);
    await q.query(`DROP TABLE signup_requests`);
    await q.query(`DROP INDEX contacts_pending_idx`);
    await q.query(`ALTER TABLE contacts DROP COLUMN status`);
  }
}
