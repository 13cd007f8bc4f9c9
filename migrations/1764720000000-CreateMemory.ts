import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The memory layer: what each customer told us (preference statements, append-only), what happened
 * (interactions and purchase lines), what we derive (value, run-out predictions, value signals) and
 * what we sent or decided not to send (messages and goldfish-guard decisions).
 */
export class CreateMemory1764720000000 implements MigrationInterface {
  name = 'CreateMemory1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE preference_keys (
        key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
        value_type text NOT NULL CHECK (value_type IN ('text', 'number', 'boolean', 'date', 'choice', 'list')),
        allowed_values jsonb CHECK (allowed_values IS NULL OR jsonb_typeof(allowed_values) = 'array'),
        questions jsonb NOT NULL DEFAULT '{}'::jsonb,
        value_labels jsonb NOT NULL DEFAULT '{}'::jsonb,
        ask_cooldown_days integer NOT NULL DEFAULT 30 CHECK (ask_cooldown_days >= 0),
        description text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        archived_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE preference_statements (
        id bigserial PRIMARY KEY,
        contact_id uuid NOT NULL REFERENCES contacts(id),
        key text NOT NULL REFERENCES preference_keys(key),
        value jsonb,
        source text NOT NULL CHECK (source IN ('web_form', 'sms_reply', 'email_reply', 'customer_told_staff', 'staff', 'import', 'inferred')),
        authority smallint NOT NULL CHECK (authority BETWEEN 1 AND 4),
        recorded_by text NOT NULL,
        stated_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        confidence real NOT NULL DEFAULT 1 CHECK (confidence > 0 AND confidence <= 1),
        note text
      )`);
    await q.query(`CREATE INDEX preference_statements_current_idx ON preference_statements (contact_id, key, authority DESC, stated_at DESC, id DESC)`);
    // The current answer per key: the highest authority first (the customer's own word beats staff,
    // import and inference), then the latest statement. A NULL value withdraws the preference.
    await q.query(`
      CREATE VIEW current_preferences AS
      SELECT * FROM (
        SELECT DISTINCT ON (s.contact_id, s.key) s.*
          FROM preference_statements s
         WHERE s.expires_at IS NULL OR s.expires_at > now()
         ORDER BY s.contact_id, s.key, s.authority DESC, s.stated_at DESC, s.id DESC
      ) latest
      WHERE latest.value IS NOT NULL`);

    await q.query(`
      CREATE TABLE interactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contacts(id),
        event_id text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN (
          'purchase', 'service_visit', 'complaint', 'call', 'note', 'open_topic',
          'message_sent', 'message_delivered', 'message_opened', 'message_clicked', 'message_replied', 'message_bounced')),
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        recorded_by text NOT NULL,
        channel text,
        amount numeric(14, 2),
        currency char(3),
        summary text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        message_id uuid,
        topic_raised_at timestamptz,
        topic_raised_by_message uuid
      )`);
    await q.query(`CREATE INDEX interactions_timeline_idx ON interactions (contact_id, occurred_at DESC)`);
    await q.query(`CREATE INDEX interactions_open_topics_idx ON interactions (contact_id, occurred_at) WHERE kind = 'open_topic' AND topic_raised_at IS NULL`);
    await q.query(`
      CREATE TABLE purchase_lines (
        interaction_id uuid NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
        line_no smallint NOT NULL,
        contact_id uuid NOT NULL REFERENCES contacts(id),
        product_key text NOT NULL,
        product_name text,
        quantity numeric(12, 3) NOT NULL CHECK (quantity > 0),
        unit text,
        unit_price numeric(14, 2),
        occurred_at timestamptz NOT NULL,
        PRIMARY KEY (interaction_id, line_no)
      )`);
    await q.query(`CREATE INDEX purchase_lines_product_idx ON purchase_lines (contact_id, product_key, occurred_at)`);

    await q.query(`
      CREATE TABLE contact_value (
        contact_id uuid PRIMARY KEY REFERENCES contacts(id),
        first_purchase_at timestamptz,
        last_purchase_at timestamptz,
        last_visit_at timestamptz,
        recency_days integer,
        frequency_12m integer NOT NULL DEFAULT 0,
        monetary_12m numeric(14, 2) NOT NULL DEFAULT 0,
        monetary_total numeric(14, 2) NOT NULL DEFAULT 0,
        rfm_score text,
        abc_class char(1) CHECK (abc_class IN ('A', 'B', 'C')),
        loyalty_stage text CHECK (loyalty_stage IN ('potential', 'new', 'regular', 'long_standing', 'loyal')),
        frequency_class text CHECK (frequency_class IN ('heavy', 'medium', 'light', 'lapsed')),
        lifetime_value numeric(14, 2),
        computed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX contact_value_abc_idx ON contact_value (abc_class)`);
    await q.query(`
      CREATE TABLE value_signals (
        id bigserial PRIMARY KEY,
        contact_id uuid NOT NULL REFERENCES contacts(id),
        dimension text NOT NULL CHECK (dimension IN ('abc_class', 'frequency_class', 'loyalty_stage')),
        from_value text,
        to_value text NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX value_signals_recent_idx ON value_signals (dimension, to_value, detected_at)`);
    await q.query(`
      CREATE TABLE replenishment_predictions (
        contact_id uuid NOT NULL REFERENCES contacts(id),
        product_key text NOT NULL,
        run_out_on date NOT NULL,
        daily_consumption numeric(14, 6) NOT NULL,
        purchases_used integer NOT NULL,
        last_purchase_at timestamptz NOT NULL,
        computed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (contact_id, product_key)
      )`);
    await q.query(`CREATE INDEX replenishment_due_idx ON replenishment_predictions (run_out_on)`);

    // One row per (contact, campaign, occasion): the primary key is what makes a second "send"
    // for the same occasion impossible, whatever races or replays happen above it.
    await q.query(`
      CREATE TABLE contact_messages (
        id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contacts(id),
        campaign_id text NOT NULL,
        occasion_key text NOT NULL,
        state text NOT NULL CHECK (state IN ('deferred', 'claimed', 'sent', 'failed')),
        not_before timestamptz,
        channel text,
        template_key text,
        variant text,
        fingerprint text,
        asks text[] NOT NULL DEFAULT '{}',
        care_exempt boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        claimed_at timestamptz,
        sent_at timestamptz,
        PRIMARY KEY (contact_id, campaign_id, occasion_key)
      )`);
    await q.query(`CREATE INDEX contact_messages_recent_idx ON contact_messages (contact_id, channel, claimed_at) WHERE state IN ('claimed', 'sent')`);
    await q.query(`CREATE INDEX contact_messages_fingerprint_idx ON contact_messages (contact_id, fingerprint, claimed_at)`);
    await q.query(`CREATE INDEX contact_messages_deferred_idx ON contact_messages (not_before) WHERE state = 'deferred'`);
    await q.query(`
      CREATE TABLE guard_decisions (
        id bigserial PRIMARY KEY,
        contact_id uuid NOT NULL REFERENCES contacts(id),
        campaign_id text NOT NULL,
        occasion_key text NOT NULL,
        channel text,
        decision text NOT NULL CHECK (decision IN ('send', 'defer', 'skip')),
        reason text NOT NULL,
        defer_until timestamptz,
        message_id uuid,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        decided_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX guard_decisions_campaign_idx ON guard_decisions (campaign_id, decided_at)`);
    await q.query(`CREATE INDEX guard_decisions_contact_idx ON guard_decisions (contact_id, decided_at)`);

    await seedPreferenceKeys(q);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'guard_decisions', 'contact_messages', 'replenishment_predictions', 'value_signals', 'contact_value',
      'purchase_lines', 'interactions',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
    await q.query(`DROP VIEW current_preferences`);
    await q.query(`DROP TABLE preference_statements`);
    await q.query(`DROP TABLE preference_keys`);
  }
}

/** The keys every installation starts with; staff add their own through the API. */
async function seedPreferenceKeys(q: QueryRunner): Promise<void> {
  const keys: Array<[string, string, string[] | null, Record<string, string>, string]> = [
    ['drink', 'choice', ['tea', 'coffee', 'juice', 'water', 'none'],
      { en: 'What would you like to drink?', 'zh-CN': '您想喝点什么？' }, 'Drink to offer'],
    ['newspaper', 'choice', ['wall_street_journal', 'new_york_times', 'atlanta_journal_constitution', 'usa_today', 'financial_times', 'none'],
      { en: 'Which newspaper would you like in the morning?', 'zh-CN': '您早上想看哪份报纸？' }, 'Morning newspaper'],
    ['preferred_channel', 'choice', ['email', 'sms', 'mail'],
      { en: 'How would you like us to reach you?', 'zh-CN': '您希望我们通过什么方式联系您？' }, 'Channel to use first'],
    ['quiet_hours', 'text', null,
      { en: 'When should we not contact you? (e.g. 21:00-08:00)', 'zh-CN': '什么时间请勿打扰？（例如 21:00-08:00）' }, 'Local hours without messages, HH:MM-HH:MM'],
    ['form_of_address', 'text', null,
      { en: 'How would you like to be addressed?', 'zh-CN': '我们该如何称呼您？' }, 'Preferred form of address'],
    ['topics', 'list', ['care', 'news', 'offers', 'events'],
      { en: 'Which topics interest you?', 'zh-CN': '您对哪些内容感兴趣？' }, 'Topics the person wants to hear about'],
    ['birthday_calendar', 'choice', ['solar', 'lunar'],
      { en: 'Do you celebrate your birthday by the solar or the lunar calendar?', 'zh-CN': '您过阳历生日还是农历生日？' }, 'Calendar for birthday greetings'],
  ];
  const labels: Record<string, Record<string, Record<string, string>>> = {
    drink: {
      en: { tea: 'tea', coffee: 'coffee', juice: 'juice', water: 'water', none: 'nothing' },
      'zh-CN': { tea: '茶', coffee: '咖啡', juice: '果汁', water: '水', none: '不需要' },
    },
    newspaper: {
      en: {
        wall_street_journal: 'Wall Street Journal', new_york_times: 'New York Times',
        atlanta_journal_constitution: 'Atlanta Journal-Constitution', usa_today: 'USA Today',
        financial_times: 'Financial Times', none: 'no newspaper',
      },
      'zh-CN': {
        wall_street_journal: '华尔街日报', new_york_times: '纽约时报', atlanta_journal_constitution: '亚特兰大宪法报',
        usa_today: '今日美国', financial_times: '金融时报', none: '不需要报纸',
      },
    },
  };
  for (const [key, type, allowed, questions, description] of keys) {
    await q.query(
      `INSERT INTO preference_keys (key, value_type, allowed_values, questions, value_labels, description) VALUES ($1, $2, $3, $4, $5, $6)`,
      [key, type, allowed === null ? null : JSON.stringify(allowed), JSON.stringify(questions), JSON.stringify(labels[key] ?? {}), description],
    );
  }
}
