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

export interface SameContent {
  messageId: string;
  campaignId: string;
  occasionKey: string;
  claimedAt: Date;
}

/** One string per occasion, for maps. */
export function occasionId(key: OccasionKey): string {
  return `${key.contactId}\u0000${key.campaignId}\u0000${key.occasionKey}`;
}

/** Parallel arrays for `unnest($1::…[], $2::…[], …)`: one statement for a whole batch. */
function columns<T, K extends keyof T>(rows: readonly T[], keys: readonly K[]): unknown[][] {
  return keys.map((key) => rows.map((row) => row[key] ?? null));
}

function idsByOccasion(rows: ReadonlyArray<{ id: string; contact_id: string; campaign_id: string; occasion_key: string }>): Map<string, string> {
  return new Map(rows.map((r) => [occasionId({ contactId: r.contact_id, campaignId: r.campaign_id, occasionKey: r.occasion_key }), r.id]));
}

/**
 * The contact_messages table. Every write that opens or closes an occasion is one INSERT … ON
 * CONFLICT on the (contact, campaign, occasion) primary key, so two writers can never both win,
 * whatever they read before.
 */
@Injectable()
export class ContactMessagesRepository {
  /** The existing rows of these occasions, by `occasionId(key)`. */
  async findOccasions(tx: EntityManager, keys: readonly OccasionKey[]): Promise<Map<string, OccasionRow>> {
    const rows: Array<{ contact_id: string; campaign_id: string; occasion_key: string; id: string; state: MessageState; not_before: Date | null }> = await tx.query(
      `SELECT m.contact_id, m.campaign_id, m.occasion_key, m.id, m.state, m.not_before
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS r(contact_id, campaign_id, occasion_key)
         JOIN contact_messages m ON m.contact_id = r.contact_id AND m.campaign_id = r.campaign_id AND m.occasion_key = r.occasion_key`,
      columns(keys, ['contactId', 'campaignId', 'occasionKey']),
    );
    return new Map(rows.map((r) => [occasionId({ contactId: r.contact_id, campaignId: r.campaign_id, occasionKey: r.occasion_key }), { id: r.id, state: r.state, notBefore: r.not_before }]));
  }

  /**
   * Takes the occasion for each message: a new row, or a deferred one whose time has come. An
   * occasion someone else holds is missing from the answer — the insert then waits for the other
   * transaction and sees its committed row, so of any number of concurrent claims exactly one wins.
   * At most one message per occasion in one call (ON CONFLICT cannot touch a row twice).
   */
  async claim(tx: EntityManager, claims: ReadonlyArray<{ key: OccasionKey; fields: MessageFields; at: Date }>): Promise<Map<string, string>> {
    if (claims.length === 0) return new Map();
    const rows: Array<{ id: string; contact_id: string; campaign_id: string; occasion_key: string }> = await tx.query(
      `INSERT INTO contact_messages AS m
              (contact_id, campaign_id, occasion_key, state, channel, template_key, variant, fingerprint, asks, care_exempt, claimed_at)
       SELECT r.contact_id, r.campaign_id, r.occasion_key, 'claimed', r.channel, r.template_key, r.variant, r.fingerprint,
              ARRAY(SELECT jsonb_array_elements_text(r.asks)), r.care_exempt, r.at
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::boolean[], $10::timestamptz[])
              AS r(contact_id, campaign_id, occasion_key, channel, template_key, variant, fingerprint, asks, care_exempt, at)
       ON CONFLICT (contact_id, campaign_id, occasion_key) DO UPDATE
          SET state = 'claimed', channel = EXCLUDED.channel, template_key = EXCLUDED.template_key,
              variant = EXCLUDED.variant, fingerprint = EXCLUDED.fingerprint, asks = EXCLUDED.asks,
              care_exempt = EXCLUDED.care_exempt, claimed_at = EXCLUDED.claimed_at
        WHERE m.state = 'deferred' AND m.not_before <= EXCLUDED.claimed_at
       RETURNING m.id, m.contact_id, m.campaign_id, m.occasion_key`,
      [...this.rowColumns(claims), claims.map((c) => c.at)],
    );
    return idsByOccasion(rows);
  }

  /** Parks each message until its `notBefore`, or moves an already deferred one. Occasions taken are missing from the answer. */
  async defer(tx: EntityManager, deferrals: ReadonlyArray<{ key: OccasionKey; fields: MessageFields; notBefore: Date }>): Promise<Map<string, string>> {
    if (deferrals.length === 0) return new Map();
    const rows: Array<{ id: string; contact_id: string; campaign_id: string; occasion_key: string }> = await tx.query(
      `INSERT INTO contact_messages AS m
              (contact_id, campaign_id, occasion_key, state, channel, template_key, variant, fingerprint, asks, care_exempt, not_before)
       SELECT r.contact_id, r.campaign_id, r.occasion_key, 'deferred', r.channel, r.template_key, r.variant, r.fingerprint,
              ARRAY(SELECT jsonb_array_elements_text(r.asks)), r.care_exempt, r.not_before
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::boolean[], $10::timestamptz[])
              AS r(contact_id, campaign_id, occasion_key, channel, template_key, variant, fingerprint, asks, care_exempt, not_before)
       ON CONFLICT (contact_id, campaign_id, occasion_key) DO UPDATE
          SET not_before = EXCLUDED.not_before, channel = EXCLUDED.channel, template_key = EXCLUDED.template_key,
              variant = EXCLUDED.variant, fingerprint = EXCLUDED.fingerprint, asks = EXCLUDED.asks,
              care_exempt = EXCLUDED.care_exempt
        WHERE m.state = 'deferred'
       RETURNING m.id, m.contact_id, m.campaign_id, m.occasion_key`,
      [...this.rowColumns(deferrals), deferrals.map((d) => d.notBefore)],
    );
    return idsByOccasion(rows);
  }

  /** Drops a deferred message that a later decision skipped; the occasion is open again. */
  async releaseDeferred(tx: EntityManager, key: OccasionKey): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `DELETE FROM contact_messages WHERE contact_id = $1 AND campaign_id = $2 AND occasion_key = $3 AND state = 'deferred' RETURNING id`,
      [key.contactId, key.campaignId, key.occasionKey],
    );
    return rows.length > 0;
  }

  /** Per contact: when the messages counted by its frequency cap were claimed (claimed or sent, on the channel, since the window opened). */
  async claimTimes(tx: EntityManager, asked: ReadonlyArray<{ contactId: string; channel: GuardChannel; since: Date }>): Promise<Map<string, Date[]>> {
    const times = new Map<string, Date[]>();
    if (asked.length === 0) return times;
    const rows: Array<{ contact_id: string; claimed_at: Date }> = await tx.query(
      `SELECT m.contact_id, m.claimed_at
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS r(contact_id, channel, since)
         JOIN contact_messages m ON m.contact_id = r.contact_id AND m.channel = r.channel AND m.state IN ('claimed', 'sent') AND m.claimed_at > r.since`,
      columns(asked, ['contactId', 'channel', 'since']),
    );
    for (const row of rows) times.set(row.contact_id, [...(times.get(row.contact_id) ?? []), row.claimed_at]);
    return times;
  }

  /** Per contact: the latest message with the same content that reached (or is about to reach) it within its window. */
  async sameContent(tx: EntityManager, asked: ReadonlyArray<{ contactId: string; fingerprint: string; since: Date }>): Promise<Map<string, SameContent>> {
    if (asked.length === 0) return new Map();
    const rows: Array<{ contact_id: string; id: string; campaign_id: string; occasion_key: string; claimed_at: Date }> = await tx.query(
      `SELECT DISTINCT ON (r.contact_id) r.contact_id, m.id, m.campaign_id, m.occasion_key, m.claimed_at
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS r(contact_id, fingerprint, since)
         JOIN contact_messages m ON m.contact_id = r.contact_id AND m.fingerprint = r.fingerprint AND m.state IN ('claimed', 'sent') AND m.claimed_at > r.since
        ORDER BY r.contact_id, m.claimed_at DESC`,
      columns(asked, ['contactId', 'fingerprint', 'since']),
    );
    return new Map(rows.map((r) => [r.contact_id, { messageId: r.id, campaignId: r.campaign_id, occasionKey: r.occasion_key, claimedAt: r.claimed_at }]));
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

  private rowColumns(rows: ReadonlyArray<{ key: OccasionKey; fields: MessageFields }>): unknown[][] {
    return [
      ...columns(rows.map((r) => r.key), ['contactId', 'campaignId', 'occasionKey']),
      ...columns(rows.map((r) => r.fields), ['channel', 'templateKey', 'variant', 'fingerprint']),
      rows.map((r) => JSON.stringify(r.fields.asks)),
      rows.map((r) => r.fields.careExempt),
    ];
  }
}
