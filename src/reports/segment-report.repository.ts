import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { CompiledWhere } from '../segments/rules/segment-rule.compiler';
import { FunnelRow } from './campaign-report.repository';
import { outcomeCountsSql } from './outcome-counts.sql';

export interface SegmentCampaignRow {
  segmentId: string;
  segmentName: string;
  segmentArchivedAt: Date | null;
  campaignId: string;
  campaignName: string;
  campaignStatus: string;
}

/** Counts of one segment's campaigns together (campaignId null) or of one of them. */
export type SegmentCountsRow = Omit<FunnelRow, 'channel' | 'variant'> & { segmentId: string; campaignId: string | null };

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

  /** The funnel counts per segment (all its campaigns together) and per segment and campaign, in one pass over the rows. */
  async performance(filter: SegmentPerformanceFilter): Promise<SegmentCountsRow[]> {
    return this.db.query(
      outcomeCountsSql({
        outboxRows: `SELECT o.id, o.state, o.reason, o.message_id, o.contact_id, o.channel AS sent_on, o.campaign_id, c.segment_id,
                            m.status AS message_status, m.sent_at AS message_sent_at
                       FROM outbox_messages o JOIN campaigns c ON c.id = o.campaign_id
                       LEFT JOIN messages m ON m.id = o.message_id AND m.campaign_id = o.campaign_id::text
                                           AND ($1::uuid[] IS NULL OR m.campaign_id = ANY($1::uuid[]::text[]))
                      WHERE c.segment_id IS NOT NULL
                        -- On the outbox's own column, so a scoped key's report reads its campaigns' rows by index.
                        AND ($1::uuid[] IS NULL OR o.campaign_id = ANY($1::uuid[])) AND ($2::uuid IS NULL OR c.segment_id = $2)
                        AND ($3::timestamptz IS NULL OR o.due_at >= $3) AND ($4::timestamptz IS NULL OR o.due_at < $4)
                        AND ($5::text IS NULL OR o.channel = $5)`,
        keys: `o.segment_id AS "segmentId", o.campaign_id AS "campaignId"`,
        groupBy: `GROUPING SETS ((o.segment_id), (o.segment_id, o.campaign_id))`,
      }),
      [filter.campaignIds, filter.segmentId, filter.from, filter.until, filter.channel],
    );
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
