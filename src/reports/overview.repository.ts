import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * Reports across campaigns and about the customer base, aggregated in SQL: how often each person is
 * contacted (fatigue), which channels carry the messages, and the value classes and their movement.
 */
@Injectable()
export class OverviewRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Campaign messages sent per contact and local week (Monday), over the last `weeks` weeks before `until`;
   * only the listed campaigns' messages when `campaignIds` is given.
   */
  async fatigue(weeks: number, timeZone: string, until: Date, campaignIds: readonly string[] | null) {
    return this.db.query(
      `WITH sent AS (
         SELECT date_trunc('week', m.sent_at AT TIME ZONE $2) AS week, m.contact_id, count(*) AS n
           FROM messages m
          WHERE m.purpose = 'campaign' AND m.sent_at IS NOT NULL AND m.status_rank >= 2 AND m.status NOT IN ('failed', 'undelivered')
            AND m.sent_at >= $3::timestamptz - make_interval(weeks => $1) AND m.sent_at < $3
            AND ($4::text[] IS NULL OR m.campaign_id = ANY($4::text[]))
          GROUP BY 1, 2)
       SELECT to_char(week, 'YYYY-MM-DD') AS week,
              count(*)::int AS contacts, sum(n)::int AS messages,
              round(avg(n), 2)::float AS "perContact", max(n)::int AS "mostToOne",
              count(*) FILTER (WHERE n = 1)::int AS "once", count(*) FILTER (WHERE n = 2)::int AS "twice",
              count(*) FILTER (WHERE n = 3)::int AS "threeTimes", count(*) FILTER (WHERE n >= 4)::int AS "fourOrMore"
         FROM sent GROUP BY week ORDER BY week`,
      [weeks, timeZone, until, campaignIds],
    );
  }

  /** Campaign messages sent per local week and channel (only the listed campaigns' when `campaignIds` is given). */
  async channelMix(weeks: number, timeZone: string, until: Date, campaignIds: readonly string[] | null) {
    return this.db.query(
      `SELECT to_char(date_trunc('week', m.sent_at AT TIME ZONE $2), 'YYYY-MM-DD') AS week,
              count(*) FILTER (WHERE m.channel = 'email')::int AS email,
              count(*) FILTER (WHERE m.channel = 'sms')::int AS sms,
              count(*) FILTER (WHERE m.channel = 'mail')::int AS mail
         FROM messages m
        WHERE m.purpose = 'campaign' AND m.sent_at IS NOT NULL AND m.status_rank >= 2 AND m.status NOT IN ('failed', 'undelivered')
          AND m.sent_at >= $3::timestamptz - make_interval(weeks => $1) AND m.sent_at < $3
          AND ($4::text[] IS NULL OR m.campaign_id = ANY($4::text[]))
        GROUP BY 1 ORDER BY 1`,
      [weeks, timeZone, until, campaignIds],
    );
  }

  /** The value classes now (with lifetime value per ABC class) and their movements per month. */
  async value(months: number, timeZone: string, until: Date) {
    const distribution: Array<{ dimension: string; value: string; contacts: number; lifetimeValue: string | null }> = await this.db.query(
      `SELECT 'abc_class' AS dimension, abc_class AS value, count(*)::int AS contacts, sum(lifetime_value)::text AS "lifetimeValue"
         FROM contact_value v JOIN contacts c ON c.id = v.contact_id WHERE c.deleted_at IS NULL AND abc_class IS NOT NULL GROUP BY abc_class
       UNION ALL
       SELECT 'loyalty_stage', loyalty_stage, count(*)::int, sum(lifetime_value)::text
         FROM contact_value v JOIN contacts c ON c.id = v.contact_id WHERE c.deleted_at IS NULL AND loyalty_stage IS NOT NULL GROUP BY loyalty_stage
       UNION ALL
       SELECT 'frequency_class', frequency_class, count(*)::int, sum(lifetime_value)::text
         FROM contact_value v JOIN contacts c ON c.id = v.contact_id WHERE c.deleted_at IS NULL AND frequency_class IS NOT NULL GROUP BY frequency_class
       ORDER BY 1, 2`,
    );
    const movements: Array<{ month: string; dimension: string; from: string | null; to: string; contacts: number }> = await this.db.query(
      `SELECT to_char(date_trunc('month', detected_at AT TIME ZONE $2), 'YYYY-MM') AS month, dimension, from_value AS "from", to_value AS "to",
              count(DISTINCT contact_id)::int AS contacts
         FROM value_signals
        WHERE detected_at >= $3::timestamptz - make_interval(months => $1) AND detected_at < $3
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      [months, timeZone, until],
    );
    return { distribution, movements };
  }
}
