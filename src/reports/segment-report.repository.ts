import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { CompiledWhere } from '../segments/rules/segment-rule.compiler';
import { DELIVERED_STATUSES, ENGAGEMENT_EVENT, REPLY_KIND, UNSUBSCRIBE_CONSENT } from './outcome-counts.sql';

export interface SegmentCampaignRow {
  segmentId: string;
  segmentName: string;
  segmentArchivedAt: Date | null;
  campaignId: string;
  campaignName: string;
  campaignStatus: string;
}

/** Counts of one segment's campaigns together (campaignId null) or of one of them. */
export interface SegmentCountsRow {
  segmentId: string;
  campaignId: string | null;
  /** Distinct contacts: one reached by two campaigns of the segment counts once in the segment's line. */
  audience: number;
  materialised: number;
  sent: number;
  delivered: number;
  openedUnique: number;
  clickedUnique: number;
  replied: number;
  unsubscribed: number;
}

export interface SegmentPerformanceFilter {
  /** Only these campaigns (a campaign-scoped key's); null for all. */
  campaignIds: readonly string[] | null;
  segmentId: string | null;
  /** Occasions due in [from, until); their later outcomes (opens, unsubscribes) count whenever they came. */
  from: Date | null;
  until: Date | null;
  channel: string | null;
}

export interface SegmentValueRow {
  members: number;
  valued: number;
  totalLifetimeValue: string;
  meanLifetimeValue: string | null;
  medianLifetimeValue: string | null;
  abcA: number;
  abcB: number;
  abcC: number;
  lifetimeValueA: string;
  lifetimeValueB: string;
  lifetimeValueC: string;
  heavyToLight: number;
}

/** Segment reports aggregated in SQL: what the campaigns aimed at a segment achieved, and what its members are worth. */
@Injectable()
export class SegmentReportRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Saved segments some campaign (in `campaignIds`, when given) targeted, with those campaigns. */
  async targetedSegments(campaignIds: readonly string[] | null, segmentId: string | null): Promise<SegmentCampaignRow[]> {
    return this.db.query(
      `SELECT s.id AS "segmentId", s.name AS "segmentName", s.archived_at AS "segmentArchivedAt",
              c.id AS "campaignId", c.name AS "campaignName", c.status AS "campaignStatus"
         FROM campaigns c JOIN segments s ON s.id = c.segment_id
        WHERE ($1::uuid[] IS NULL OR c.id = ANY($1::uuid[])) AND ($2::uuid IS NULL OR s.id = $2)
        ORDER BY s.name, s.id, c.created_at, c.id`,
      [campaignIds, segmentId],
    );
  }

  /**
   * Per segment (all its campaigns together) and per segment and campaign: whom they reached and
   * what came of it. Over all history that is every outbox row, so each row is looked at once:
   * the additive counts are summed per campaign (parallel hash joins against messages and against
   * each message's reactions, aggregated from their own tables), and only the audience, which a
   * contact reached by two campaigns of one segment must not double, is counted apart from the
   * narrow (segment, contact) and (campaign, contact) pairs. Segments are joined to the campaign lines last.
   * The outcomes are those of the campaign funnel (outcome-counts.sql.ts), counted per outbox row;
   * a message belongs to the one outbox row that sent it.
   */
  async performance(filter: SegmentPerformanceFilter): Promise<SegmentCountsRow[]> {
    // $1 campaigns (null: all), $2 segment, [$3, $4) due, $5 channel. On the outbox's own columns,
    // so a scoped key's report reads its campaigns' rows by index.
    const chosenRows = `($1::uuid[] IS NULL OR o.campaign_id = ANY($1::uuid[]))
        AND ($3::timestamptz IS NULL OR o.due_at >= $3) AND ($4::timestamptz IS NULL OR o.due_at < $4)
        AND ($5::text IS NULL OR o.channel = $5)`;
    const targetingCampaigns = `SELECT id FROM campaigns WHERE segment_id IS NOT NULL AND ($2::uuid IS NULL OR segment_id = $2)`;
    const sql = `WITH reactions AS (
         SELECT message_id, count(*) FILTER (WHERE what = 'opened') AS opens, count(*) FILTER (WHERE what = 'clicked') AS clicks,
                bool_or(what = ${REPLY_KIND}) AS replied
           FROM (SELECT e.message_id, e.status AS what FROM message_events e WHERE ${ENGAGEMENT_EVENT}
                 UNION ALL
                 SELECT i.message_id, i.kind FROM interactions i WHERE i.kind = ${REPLY_KIND} AND i.message_id IS NOT NULL) r
          -- A scoped key's few campaigns: only their messages' reactions, not every message's.
          WHERE $1::uuid[] IS NULL OR message_id IN (SELECT o.message_id FROM outbox_messages o WHERE o.campaign_id = ANY($1::uuid[]))
          GROUP BY message_id),
       unsubscribes AS (
         SELECT ce.contact_id, ce.channel, max(ce.recorded_at) AS last_at
           FROM contact_consent_events ce WHERE ${UNSUBSCRIBE_CONSENT} GROUP BY ce.contact_id, ce.channel),
       per_campaign AS (
         -- The message is the row's only when it is of the row's campaign (a resend finds its message by campaign).
         SELECT o.campaign_id,
                count(*) AS materialised,
                count(*) FILTER (WHERE o.state = 'sent') AS sent,
                count(*) FILTER (WHERE o.state = 'sent' AND m.status IN ${DELIVERED_STATUSES} AND m.campaign_id = o.campaign_id::text) AS delivered,
                count(*) FILTER (WHERE x.opens > 0) AS "openedUnique",
                count(*) FILTER (WHERE x.clicks > 0) AS "clickedUnique",
                count(*) FILTER (WHERE x.replied) AS replied,
                count(*) FILTER (WHERE u.last_at >= m.sent_at AND m.campaign_id = o.campaign_id::text) AS unsubscribed
           FROM outbox_messages o
           LEFT JOIN messages m ON m.id = o.message_id AND ($1::uuid[] IS NULL OR m.campaign_id = ANY($1::uuid[]::text[]))
           LEFT JOIN reactions x ON x.message_id = o.message_id
           LEFT JOIN unsubscribes u ON u.contact_id = o.contact_id AND u.channel = o.channel
          WHERE o.campaign_id IN (${targetingCampaigns}) AND ${chosenRows}
          GROUP BY o.campaign_id),
       audience AS (
         -- Both counts in one Parallel Append: the segment's from a hash of (segment, contact); each
         -- campaign's from (campaign, contact), which the outbox's unique key gives in order.
         SELECT segment_id, NULL::uuid AS campaign_id, count(*) AS audience
           FROM (SELECT c.segment_id, o.contact_id FROM outbox_messages o JOIN campaigns c ON c.id = o.campaign_id
                  WHERE o.campaign_id IN (${targetingCampaigns}) AND ${chosenRows}
                  GROUP BY c.segment_id, o.contact_id) reached
          GROUP BY segment_id
         UNION ALL
         SELECT c.segment_id, reach.campaign_id, reach.audience
           FROM (SELECT campaign_id, count(*) AS audience
                   FROM (SELECT o.campaign_id, o.contact_id FROM outbox_messages o
                          WHERE o.campaign_id IN (${targetingCampaigns}) AND ${chosenRows}
                          GROUP BY o.campaign_id, o.contact_id) reached
                  GROUP BY campaign_id) reach
           JOIN campaigns c ON c.id = reach.campaign_id),
       totals AS (
         SELECT c.segment_id, p.campaign_id, sum(p.materialised) AS materialised, sum(p.sent) AS sent, sum(p.delivered) AS delivered,
                sum(p."openedUnique") AS "openedUnique", sum(p."clickedUnique") AS "clickedUnique", sum(p.replied) AS replied,
                sum(p.unsubscribed) AS unsubscribed
           FROM per_campaign p JOIN campaigns c ON c.id = p.campaign_id
          GROUP BY GROUPING SETS ((c.segment_id), (c.segment_id, p.campaign_id)))
       SELECT t.segment_id AS "segmentId", t.campaign_id AS "campaignId", a.audience::int AS audience,
              t.materialised::int AS materialised, t.sent::int AS sent, t.delivered::int AS delivered,
              t."openedUnique"::int AS "openedUnique", t."clickedUnique"::int AS "clickedUnique",
              t.replied::int AS replied, t.unsubscribed::int AS unsubscribed
         FROM totals t JOIN audience a ON a.segment_id = t.segment_id AND a.campaign_id IS NOT DISTINCT FROM t.campaign_id`;
    const params = [filter.campaignIds, filter.segmentId, filter.from, filter.until, filter.channel];
    if (filter.campaignIds === null) return this.db.query(sql, params);
    return this.db.transaction(async (tx) => {
      // A scoped key's few campaigns are small work: parallel workers would each rebuild the same
      // reactions table and, on two cores, cost more than they share (1.2 s alone, 1.7-2.8 s with them, 5 campaigns).
      await tx.query(`SET LOCAL max_parallel_workers_per_gather = 0`);
      return tx.query(sql, params);
    });
  }

  /** Live segments, oldest first. */
  async liveSegments(db: EntityManager): Promise<Array<{ id: string; name: string; rule: unknown }>> {
    return db.query(`SELECT id, name, rule FROM segments WHERE archived_at IS NULL ORDER BY name, id`);
  }

  /**
   * The value of a segment's members now. `audience` was compiled with a parameter offset of 2
   * ($1, $2 are the window of heavy → light moves). A mover is a member who left 'heavy' in the
   * window and is light or lapsed now, whether in one step or through 'medium'.
   */
  async value(db: EntityManager, audience: CompiledWhere, since: Date, until: Date): Promise<SegmentValueRow> {
    const [row]: SegmentValueRow[] = await db.query(
      `WITH left_heavy AS (
         SELECT DISTINCT contact_id FROM value_signals
          WHERE dimension = 'frequency_class' AND from_value = 'heavy' AND detected_at >= $1 AND detected_at < $2),
       members AS (
         SELECT c.id, v.lifetime_value, v.abc_class, v.frequency_class, h.contact_id IS NOT NULL AS left_heavy
           FROM contacts c LEFT JOIN contact_value v ON v.contact_id = c.id LEFT JOIN left_heavy h ON h.contact_id = c.id
          WHERE ${audience.where})
       SELECT count(*)::int AS members,
              count(lifetime_value)::int AS valued,
              coalesce(sum(lifetime_value), 0)::numeric(16, 2)::text AS "totalLifetimeValue",
              round(avg(lifetime_value), 2)::text AS "meanLifetimeValue",
              round((percentile_cont(0.5) WITHIN GROUP (ORDER BY lifetime_value))::numeric, 2)::text AS "medianLifetimeValue",
              count(*) FILTER (WHERE abc_class = 'A')::int AS "abcA",
              count(*) FILTER (WHERE abc_class = 'B')::int AS "abcB",
              count(*) FILTER (WHERE abc_class = 'C')::int AS "abcC",
              coalesce(sum(lifetime_value) FILTER (WHERE abc_class = 'A'), 0)::numeric(16, 2)::text AS "lifetimeValueA",
              coalesce(sum(lifetime_value) FILTER (WHERE abc_class = 'B'), 0)::numeric(16, 2)::text AS "lifetimeValueB",
              coalesce(sum(lifetime_value) FILTER (WHERE abc_class = 'C'), 0)::numeric(16, 2)::text AS "lifetimeValueC",
              count(*) FILTER (WHERE frequency_class IN ('light', 'lapsed') AND left_heavy)::int AS "heavyToLight"
         FROM members`,
      [since, until, ...audience.params],
    );
    return row;
  }
}
