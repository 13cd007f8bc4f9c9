import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DueMessage, GuardChannel, MessageState } from './guard.types';

export interface OccasionKey {
  contactId: string;
  campaignId: string;
  occasionKey: string;
}

export interface MessageFields {
  channel: GuardChannel;
  templateKey: string | null;
  variant: string | null;
  fingerprint: string | null;
  asks: string[];
  careExempt: boolean;
}

export interface OccasionRow {
  id: string;
  state: MessageState;
  notBefore: Date | null;
}

const DAY_MS = 86_400_000;

/**
 * The contact_messages table. Every write that opens or closes an occasion is one INSERT … ON
 * CONFLICT on the (contact, campaign, occasion) primary key, so two writers can never both win,
 * whatever they read before.
 */
@Injectable()
export class ContactMessagesRepository {
  async findOccasion(tx: EntityManager, key: OccasionKey): Promise<OccasionRow | null> {
    const rows: Array<{ id: string; state: MessageState; not_before: Date | null }> = await tx.query(
      `SELECT id, state, not_before FROM contact_messages WHERE contact_id = $1 AND campaign_id = $2 AND occasion_key = $3`,
      [key.contactId, key.campaignId, key.occasionKey],
    );
    return rows[0] ? { id: rows[0].id, state: rows[0].state, notBefore: rows[0].not_before } : null;
  }

  /**
   * Takes the occasion for one message: a new row, or a deferred one whose time has come. Returns
   * null when someone else holds it — the insert then waits for the other transaction and sees its
   * committed row, so of any number of concurrent claims exactly one returns an id.
   */
  async claim(tx: EntityManager, key: OccasionKey, fields: MessageFields, now: Date): Promise<string | null> {
    const rows: Array<{ id: string }> = await tx.query(
      `INSERT INTO contact_messages AS m
              (contact_id, campaign_id, occasion_key, state, channel, template_key, variant, fingerprint, asks, care_exempt, claimed_at)
       VALUES ($1, $2, $3, 'claimed', $4, $5, $6, $7, $8::text[], $9, $10)
       ON CONFLICT (contact_id, campaign_id, occasion_key) DO UPDATE
          SET state = 'claimed', channel = EXCLUDED.channel, template_key = EXCLUDED.template_key,
              variant = EXCLUDED.variant, fingerprint = EXCLUDED.fingerprint, asks = EXCLUDED.asks,
              care_exempt = EXCLUDED.care_exempt, claimed_at = EXCLUDED.claimed_at
        WHERE m.state = 'deferred' AND m.not_before <= EXCLUDED.claimed_at
       RETURNING m.id`,
      [key.contactId, key.campaignId, key.occasionKey, ...this.values(fields), now],
    );
    return rows[0]?.id ?? null;
  }

  /** Parks the message until `notBefore`, or moves an already deferred one. Null when the occasion is taken. */
  async defer(tx: EntityManager, key: OccasionKey, fields: MessageFields, notBefore: Date): Promise<string | null> {
    const rows: Array<{ id: string }> = await tx.query(
      `INSERT INTO contact_messages AS m
              (contact_id, campaign_id, occasion_key, state, channel, template_key, variant, fingerprint, asks, care_exempt, not_before)
       VALUES ($1, $2, $3, 'deferred', $4, $5, $6, $7, $8::text[], $9, $10)
       ON CONFLICT (contact_id, campaign_id, occasion_key) DO UPDATE
          SET not_before = EXCLUDED.not_before, channel = EXCLUDED.channel, template_key = EXCLUDED.template_key,
              variant = EXCLUDED.variant, fingerprint = EXCLUDED.fingerprint, asks = EXCLUDED.asks,
              care_exempt = EXCLUDED.care_exempt
        WHERE m.state = 'deferred'
       RETURNING m.id`,
      [key.contactId, key.campaignId, key.occasionKey, ...this.values(fields), notBefore],
    );
    return rows[0]?.id ?? null;
  }

  /** Drops a deferred message that a later decision skipped; the occasion is open again. */
  async releaseDeferred(tx: EntityManager, key: OccasionKey): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `DELETE FROM contact_messages WHERE contact_id = $1 AND campaign_id = $2 AND occasion_key = $3 AND state = 'deferred' RETURNING id`,
      [key.contactId, key.campaignId, key.occasionKey],
    );
    return rows.length > 0;
  }

  /** When the messages counted by the frequency cap were claimed (claimed or sent, on this channel). */
  async claimTimes(tx: EntityManager, contactId: string, channel: GuardChannel, now: Date, windowDays: number): Promise<Date[]> {
    const rows: Array<{ claimed_at: Date }> = await tx.query(
      `SELECT claimed_at FROM contact_messages
        WHERE contact_id = $1 AND channel = $2 AND state IN ('claimed', 'sent') AND claimed_at > $3`,
      [contactId, channel, new Date(now.getTime() - windowDays * DAY_MS)],
    );
    return rows.map((r) => r.claimed_at);
  }

  /** A message with the same content that reached (or is about to reach) the contact within the window. */
  async sameContent(tx: EntityManager, contactId: string, fingerprint: string, now: Date, windowDays: number): Promise<{ messageId: string; campaignId: string; occasionKey: string; claimedAt: Date } | null> {
    const rows: Array<{ id: string; campaign_id: string; occasion_key: string; claimed_at: Date }> = await tx.query(
      `SELECT id, campaign_id, occasion_key, claimed_at FROM contact_messages
        WHERE contact_id = $1 AND fingerprint = $2 AND state IN ('claimed', 'sent') AND claimed_at > $3
        ORDER BY claimed_at DESC LIMIT 1`,
      [contactId, fingerprint, new Date(now.getTime() - windowDays * DAY_MS)],
    );
    const row = rows[0];
    return row ? { messageId: row.id, campaignId: row.campaign_id, occasionKey: row.occasion_key, claimedAt: row.claimed_at } : null;
  }

  /** When the contact last got each of these variants of the template. */
  async variantsLastSeen(tx: EntityManager, contactId: string, templateKey: string, variants: readonly string[]): Promise<Map<string, Date>> {
    const rows: Array<{ variant: string; last_seen: Date }> = await tx.query(
      `SELECT variant, max(claimed_at) AS last_seen FROM contact_messages
        WHERE contact_id = $1 AND template_key = $2 AND variant = ANY($3::text[]) AND state IN ('claimed', 'sent')
        GROUP BY variant`,
      [contactId, templateKey, [...variants]],
    );
    return new Map(rows.map((r) => [r.variant, r.last_seen]));
  }

  async due(tx: EntityManager, now: Date, limit: number): Promise<DueMessage[]> {
    const rows: Array<Record<string, unknown>> = await tx.query(
      `SELECT id, contact_id, campaign_id, occasion_key, channel, not_before, template_key, variant, fingerprint, asks, care_exempt
         FROM contact_messages WHERE state = 'deferred' AND not_before <= $1
        ORDER BY not_before, id LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => ({
      messageId: r.id as string,
      contactId: r.contact_id as string,
      campaignId: r.campaign_id as string,
      occasionKey: r.occasion_key as string,
      channel: r.channel as GuardChannel,
      notBefore: r.not_before as Date,
      templateKey: r.template_key as string | null,
      variant: r.variant as string | null,
      fingerprint: r.fingerprint as string | null,
      asks: r.asks as string[],
      careExempt: r.care_exempt as boolean,
    }));
  }

  /** The message's state, locked until the transaction ends; null when there is no such message. */
  async lockState(tx: EntityManager, messageId: string): Promise<MessageState | null> {
    const rows: Array<{ state: MessageState }> = await tx.query(`SELECT state FROM contact_messages WHERE id = $1 FOR UPDATE`, [messageId]);
    return rows[0]?.state ?? null;
  }

  async markSent(tx: EntityManager, messageId: string, at: Date): Promise<void> {
    await tx.query(`UPDATE contact_messages SET state = 'sent', sent_at = $2 WHERE id = $1`, [messageId, at]);
  }

  async markFailed(tx: EntityManager, messageId: string): Promise<void> {
    await tx.query(`UPDATE contact_messages SET state = 'failed' WHERE id = $1`, [messageId]);
  }

  private values(f: MessageFields): unknown[] {
    return [f.channel, f.templateKey, f.variant, f.fingerprint, f.asks, f.careExempt];
  }
}
