import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MESSAGE_STATUS_RANK } from '../channels/messages/message-status';

/** A tracked link's destination (table tracked_links). */
export interface TrackedLink {
  /** A hash of campaign and URL, 16 URL-safe characters. */
  id: string;
  campaignId: string | null;
  url: string;
}

/** The message a token names, as a hit needs it. */
export interface TrackedMessage {
  id: string;
  campaignId: string | null;
  sentAt: Date | null;
  /** The contact exists and is not deleted: only then does the memory grow. */
  contactLive: boolean;
  /** The link's stored URL when a link id was asked for and belongs to this message's campaign. */
  url: string | null;
}

export type TrackingEventStatus = 'opened' | 'clicked';

@Injectable()
export class TrackingRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** All links in one statement; ones already stored (by any sender) are left as they are. */
  async insertLinks(links: TrackedLink[]): Promise<void> {
    if (links.length === 0) return;
    await this.db.query(
      `INSERT INTO tracked_links (id, campaign_id, url)
       SELECT l.id, l."campaignId", l.url FROM jsonb_to_recordset($1::jsonb) AS l(id text, "campaignId" text, url text)
       ON CONFLICT (id) DO NOTHING`,
      [JSON.stringify(links)],
    );
  }

  /**
   * The e-mail message `messageId` if it was sent to `contactId`, with the stored URL of `linkId`
   * when that link belongs to the message's campaign. One round trip for a click or an open.
   */
  async messageFor(messageId: string, contactId: string, linkId: string | null): Promise<TrackedMessage | null> {
    const rows: TrackedMessage[] = await this.db.query(
      `SELECT m.id, m.campaign_id AS "campaignId", m.sent_at AS "sentAt",
              (c.id IS NOT NULL AND c.deleted_at IS NULL) AS "contactLive", l.url
         FROM messages m
         LEFT JOIN contacts c ON c.id = m.contact_id
         LEFT JOIN tracked_links l ON l.id = $3::text AND l.campaign_id IS NOT DISTINCT FROM m.campaign_id
        WHERE m.id = $1 AND m.contact_id = $2 AND m.channel = 'email'`,
      [messageId, contactId, linkId],
    );
    return rows[0] ?? null;
  }

  /** Locks the contact against a concurrent erasure for the rest of the transaction; false if gone. */
  async lockLiveContact(tx: EntityManager, contactId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(`SELECT 1 FROM contacts WHERE id = $1 AND deleted_at IS NULL FOR KEY SHARE`, [contactId]);
    return rows.length > 0;
  }

  /**
   * The event, and for a person's open or click the message's move to 'read' — only from 'sent' or
   * 'delivered', so it never goes backwards and never overtakes the sender's own record of 'sent'.
   * Returns whether the status moved (the event's `applied`).
   */
  async insertEvent(
    db: EntityManager,
    event: { messageId: string; status: TrackingEventStatus; movesToRead: boolean; occurredAt: Date; payload: Record<string, unknown> },
  ): Promise<boolean> {
    const rows: Array<{ applied: boolean }> = await db.query(
      `WITH moved AS (
         UPDATE messages SET status = 'read', status_rank = $5, updated_at = now()
          WHERE id = $1 AND $6::boolean AND status IN ('sent', 'delivered')
          RETURNING id)
       INSERT INTO message_events (message_id, status, provider_status, applied, occurred_at, payload)
       SELECT $1, $2, 'tracking', EXISTS (SELECT 1 FROM moved), $3, $4::jsonb
       RETURNING applied`,
      [event.messageId, event.status, event.occurredAt, JSON.stringify(event.payload), MESSAGE_STATUS_RANK.read, event.movesToRead],
    );
    return rows[0]?.applied ?? false;
  }

  /**
   * Opens and clicks of a campaign: unique counts messages (opens) or message-and-link pairs
   * (clicks) with at least one human hit, total counts human hits, bots counts the machines.
   */
  async campaignCounts(campaignId: string): Promise<Record<TrackingEventStatus, { unique: number; total: number; bots: number }>> {
    const rows: Array<{ status: TrackingEventStatus; unique: number; total: number; bots: number }> = await this.db.query(
      `SELECT e.status,
              count(DISTINCT (e.message_id, e.payload->>'linkId')) FILTER (WHERE NOT (e.payload->>'bot')::boolean)::int AS unique,
              count(*) FILTER (WHERE NOT (e.payload->>'bot')::boolean)::int AS total,
              count(*) FILTER (WHERE (e.payload->>'bot')::boolean)::int AS bots
         FROM message_events e JOIN messages m ON m.id = e.message_id
        WHERE m.campaign_id = $1 AND e.provider_status = 'tracking' AND e.status IN ('opened', 'clicked')
        GROUP BY e.status`,
      [campaignId],
    );
    const empty = { unique: 0, total: 0, bots: 0 };
    const of = (status: TrackingEventStatus) => {
      const row = rows.find((r) => r.status === status);
      return row ? { unique: row.unique, total: row.total, bots: row.bots } : { ...empty };
    };
    return { opened: of('opened'), clicked: of('clicked') };
  }
}
