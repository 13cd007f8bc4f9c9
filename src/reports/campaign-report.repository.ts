import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { outcomeCountsSql } from './outcome-counts.sql';

/** One line of the funnel: a channel and a template variant of one campaign. */
export interface FunnelRow {
  channel: string;
  variant: string;
  audience: number;
  materialised: number;
  sent: number;
  delivered: number;
  bounced: number;
  failed: number;
  deadLettered: number;
  skipped: number;
  deferred: number;
  waiting: number;
  openedUnique: number;
  openedTotal: number;
  clickedUnique: number;
  clickedTotal: number;
  replied: number;
  unsubscribed: number;
}

export interface ReasonRow {
  channel: string;
  variant: string;
  outcome: 'skipped' | 'failed' | 'dead' | 'deferred';
  reason: string;
  count: number;
}

export interface TimelineRow {
  bucket: string;
  start: Date;
  sent: number;
  opened: number;
  clicked: number;
}

/** Outbox rows without a channel (skipped before one was chosen) and rows without a variant. */
export const NONE = '(none)';

/**
 * Every number is counted in SQL from the rows that record what happened: the outbox (one row per
 * recipient and occasion: its state and reason), the messages it sent, their events (tracking marks
 * bots, which never count), replies in the memory and unsubscribes in the consent history.
 */
@Injectable()
export class CampaignReportRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async campaign(campaignId: string): Promise<{ id: string; name: string; kind: string; status: string } | null> {
    const rows: Array<{ id: string; name: string; kind: string; status: string }> = await this.db.query(
      `SELECT id, name, kind, status FROM campaigns WHERE id = $1`,
      [campaignId],
    );
    return rows[0] ?? null;
  }

  /** Contacts the campaign reached out to (materialised), each once. */
  async audience(campaignId: string): Promise<number> {
    const rows: Array<{ n: number }> = await this.db.query(`SELECT count(DISTINCT contact_id)::int AS n FROM outbox_messages WHERE campaign_id = $1`, [campaignId]);
    return rows[0].n;
  }

  async funnel(campaignId: string): Promise<FunnelRow[]> {
    return this.db.query(
      outcomeCountsSql({
        // messages.campaign_id is the outbox row's campaign (the dispatcher finds a resend's message by it).
        outboxRows: `SELECT o.id, coalesce(o.channel, '${NONE}') AS channel, coalesce(o.variant, '${NONE}') AS variant, o.state, o.reason, o.message_id, o.contact_id,
                            o.channel AS sent_on, m.status AS message_status, m.sent_at AS message_sent_at
                       FROM outbox_messages o LEFT JOIN messages m ON m.id = o.message_id AND m.campaign_id = $1::uuid::text
                      WHERE o.campaign_id = $1`,
        keys: 'o.channel, o.variant',
        groupBy: 'o.channel, o.variant ORDER BY o.channel, o.variant',
      }),
      [campaignId],
    );
  }

  /** Why rows did not go: skip reasons, failure reasons, dead letters, deferrals (e.g. quiet hours). */
  async reasons(campaignId: string): Promise<ReasonRow[]> {
    return this.db.query(
      `SELECT coalesce(channel, '${NONE}') AS channel, coalesce(variant, '${NONE}') AS variant,
              CASE WHEN state = 'pending' THEN 'deferred' ELSE state END AS outcome,
              CASE WHEN state = 'pending' THEN substring(reason FROM 10) ELSE coalesce(reason, 'unknown') END AS reason,
              count(*)::int AS count
         FROM outbox_messages
        WHERE campaign_id = $1 AND (state IN ('skipped', 'failed', 'dead') OR (state = 'pending' AND reason LIKE 'deferred:%'))
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4`,
      [campaignId],
    );
  }

  /** Sends, human opens and clicks per local hour or day in `timeZone`. */
  async timeline(campaignId: string, bucket: 'hour' | 'day', timeZone: string): Promise<TimelineRow[]> {
    return this.db.query(
      `WITH happened AS (
         SELECT m.sent_at AS at, 'sent' AS what
           FROM outbox_messages o JOIN messages m ON m.id = o.message_id AND m.campaign_id = $1::uuid::text
          WHERE o.campaign_id = $1 AND o.state = 'sent' AND m.sent_at IS NOT NULL
         UNION ALL
         SELECT coalesce(e.occurred_at, e.received_at), e.status
           FROM outbox_messages o JOIN message_events e ON e.message_id = o.message_id
          WHERE o.campaign_id = $1 AND e.status IN ('opened', 'clicked') AND NOT coalesce((e.payload->>'bot')::boolean, false)),
       bucketed AS (
         SELECT date_trunc($2, at AT TIME ZONE $3) AS local_start, what FROM happened)
       SELECT to_char(local_start, 'YYYY-MM-DD"T"HH24:MI') AS bucket, local_start AT TIME ZONE $3 AS start,
              count(*) FILTER (WHERE what = 'sent')::int AS sent,
              count(*) FILTER (WHERE what = 'opened')::int AS opened,
              count(*) FILTER (WHERE what = 'clicked')::int AS clicked
         FROM bucketed GROUP BY local_start ORDER BY local_start`,
      [campaignId, bucket, timeZone],
    );
  }

  /** Everything recorded about one contact in one campaign, oldest first. */
  async path(campaignId: string, contactId: string) {
    const outbox: Array<Record<string, unknown>> = await this.db.query(
      `SELECT occasion_key AS "occasionKey", state, channel, variant, reason, attempts, last_error AS "lastError", due_at AS "dueAt",
              next_attempt_at AS "nextAttemptAt", finished_at AS "finishedAt", message_id AS "messageId", details
         FROM outbox_messages WHERE campaign_id = $1 AND contact_id = $2 ORDER BY occasion_key`,
      [campaignId, contactId],
    );
    const decisions: Array<Record<string, unknown>> = await this.db.query(
      `SELECT occasion_key AS "occasionKey", channel, decision, reason, defer_until AS "deferUntil", decided_at AS "decidedAt", details
         FROM guard_decisions WHERE campaign_id = $1 AND contact_id = $2 ORDER BY id`,
      [campaignId, contactId],
    );
    const messages: Array<Record<string, unknown>> = await this.db.query(
      `SELECT m.id, m.occasion_key AS "occasionKey", m.channel, m.variant, m.status, m.error_kind AS "errorKind", m.error_message AS "errorMessage",
              m.created_at AS "createdAt", m.sent_at AS "sentAt",
              coalesce((SELECT jsonb_agg(jsonb_build_object('status', e.status, 'at', coalesce(e.occurred_at, e.received_at),
                                                            'bot', coalesce((e.payload->>'bot')::boolean, false)) ORDER BY e.id)
                          FROM message_events e WHERE e.message_id = m.id), '[]'::jsonb) AS events
         FROM messages m WHERE m.campaign_id = $1::text AND m.contact_id = $2 ORDER BY m.created_at`,
      [campaignId, contactId],
    );
    return { outbox, decisions, messages };
  }
}
