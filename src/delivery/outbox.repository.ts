import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ChannelKind, SendOutcome } from '../channels/channel.types';
import { MESSAGE_STATUS_RANK } from '../channels/messages/message-status';

export type OutboxState = 'pending' | 'processing' | 'sending' | 'sent' | 'failed' | 'skipped' | 'dead';

export interface ClaimedMessage {
  id: string;
  campaignId: string;
  contactId: string;
  occasionKey: string;
  dueAt: Date;
  attempts: number;
  channel: ChannelKind | null;
  variant: string | null;
  guardMessageId: string | null;
  details: Record<string, unknown>;
}

const CLAIMED_COLUMNS = `id, campaign_id AS "campaignId", contact_id AS "contactId", occasion_key AS "occasionKey", due_at AS "dueAt",
  attempts, channel, variant, guard_message_id AS "guardMessageId", details`;

/**
 * The outbox: one row per recipient and occasion. Every state change is a single conditional UPDATE
 * on one row, guarded by the state it leaves and the worker's lease, so a worker that lost its lease
 * (it stalled, another took over) can never move a row it no longer owns.
 */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Claims up to `limit` due rows of the given campaigns for `owner` until `leaseUntil`. SKIP LOCKED
   * lets any number of workers claim side by side without waiting on each other or taking the same row.
   */
  async claim(owner: string, campaignIds: string[], now: Date, leaseUntil: Date, limit: number): Promise<ClaimedMessage[]> {
    if (campaignIds.length === 0) return [];
    const result = await this.db.query(
      `UPDATE outbox_messages o
          SET state = 'processing', lease_owner = $1, lease_until = $4, attempts = o.attempts + 1, updated_at = now()
        WHERE o.id IN (
          SELECT id FROM outbox_messages
           WHERE state = 'pending' AND campaign_id = ANY($2::uuid[]) AND greatest(due_at, next_attempt_at) <= $3
           ORDER BY greatest(due_at, next_attempt_at), id
           LIMIT $5
           FOR UPDATE SKIP LOCKED)
        RETURNING ${CLAIMED_COLUMNS}`,
      [owner, campaignIds, now, leaseUntil, limit],
    );
    return returned<ClaimedMessage>(result);
  }

  /** The guard said send: the row carries the claim it made, in the guard's own transaction. */
  async markSending(tx: EntityManager, id: string, owner: string, fields: { channel: ChannelKind; variant: string | null; guardMessageId: string }): Promise<boolean> {
    const result = await tx.query(
      `UPDATE outbox_messages SET state = 'sending', channel = $3, variant = $4, guard_message_id = $5, updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND state = 'processing'`,
      [id, owner, fields.channel, fields.variant, fields.guardMessageId],
    );
    return affected(result) === 1;
  }

  /** A retry of a message the guard already cleared goes straight to 'sending'. */
  async resumeSending(id: string, owner: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE outbox_messages SET state = 'sending', updated_at = now() WHERE id = $1 AND lease_owner = $2 AND state = 'processing'`,
      [id, owner],
    );
    return affected(result) === 1;
  }

  async finish(
    tx: EntityManager,
    id: string,
    owner: string,
    state: 'sent' | 'failed' | 'skipped' | 'dead',
    fields: { reason?: string | null; messageId?: string | null; error?: string | null; channel?: ChannelKind | null; details?: Record<string, unknown> },
  ): Promise<boolean> {
    const result = await tx.query(
      `UPDATE outbox_messages
          SET state = $3, reason = coalesce($4, reason), message_id = coalesce($5, message_id), last_error = coalesce($6, last_error),
              channel = coalesce($7, channel), details = details || $8::jsonb, lease_owner = NULL, lease_until = NULL,
              finished_at = now(), updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND state IN ('processing', 'sending')`,
      [id, owner, state, fields.reason ?? null, fields.messageId ?? null, fields.error?.slice(0, 2000) ?? null, fields.channel ?? null, JSON.stringify(fields.details ?? {})],
    );
    return affected(result) === 1;
  }

  /**
   * The provider took the message: its record, the outbox row and the goldfish guard's claim move
   * to 'sent' in one statement (one round trip, one implicit transaction). The guard's row is
   * written here rather than through GoldfishGuard.markSent because a second transaction would
   * leave a window in which the outbox says sent and the claim does not. False when the lease was lost.
   */
  async completeSent(input: { outboxId: string; owner: string; messageId: string; outcome: Extract<SendOutcome, { status: 'sent' }>; guardMessageId: string | null; at: Date }): Promise<boolean> {
    const rows: Array<{ finished: number }> = await this.db.query(
      `WITH message AS (
         UPDATE messages SET status = 'sent', status_rank = $5, provider_message_id = $6, sent_at = now(), updated_at = now(), details = details || $7::jsonb
          WHERE id = $3 AND status_rank < $5),
       outbox AS (
         UPDATE outbox_messages
            SET state = 'sent', reason = 'delivered_to_provider', message_id = $3, lease_owner = NULL, lease_until = NULL,
                details = details || jsonb_build_object('worker', $2::text), finished_at = now(), updated_at = now()
          WHERE id = $1 AND lease_owner = $2 AND state IN ('processing', 'sending')
          RETURNING id),
       claim AS (
         UPDATE contact_messages SET state = 'sent', sent_at = $8
          WHERE id = $4 AND state = 'claimed' AND EXISTS (SELECT 1 FROM outbox))
       SELECT count(*)::int AS finished FROM outbox`,
      [input.outboxId, input.owner, input.messageId, input.guardMessageId, MESSAGE_STATUS_RANK.sent, input.outcome.providerMessageId, JSON.stringify(input.outcome.details ?? {}), input.at],
    );
    return rows[0]?.finished === 1;
  }

  /** Back to pending: a deferral (the guard's instant) or a transient failure (the retry policy's). */
  async reschedule(
    tx: EntityManager,
    id: string,
    owner: string,
    notBefore: Date,
    fields: { reason: string; error?: string | null; messageId?: string | null; channel?: ChannelKind | null; variant?: string | null; guardMessageId?: string | null },
  ): Promise<boolean> {
    const result = await tx.query(
      `UPDATE outbox_messages
          SET state = 'pending', next_attempt_at = $3, reason = $4, last_error = coalesce($5, last_error), message_id = coalesce($6, message_id),
              channel = coalesce($7, channel), variant = coalesce($8, variant), guard_message_id = coalesce($9, guard_message_id),
              lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND state IN ('processing', 'sending')`,
      [id, owner, notBefore, fields.reason, fields.error?.slice(0, 2000) ?? null, fields.messageId ?? null, fields.channel ?? null, fields.variant ?? null, fields.guardMessageId ?? null],
    );
    return affected(result) === 1;
  }

  /** A deferral does not spend an attempt: the message was never tried. */
  async refundAttempt(tx: EntityManager, id: string): Promise<void> {
    await tx.query(`UPDATE outbox_messages SET attempts = greatest(attempts - 1, 0) WHERE id = $1`, [id]);
  }

  /**
   * Rows whose worker died. 'processing' rows never reached a channel: they go back to pending.
   * 'sending' rows may have reached it: they go back too (the message must not be lost), flagged,
   * and their unanswered `messages` row is closed as ambiguous, so a duplicate is at most the one
   * message that was in the provider's hands at the moment of the crash.
   */
  async recoverExpiredLeases(now: Date): Promise<{ requeued: number; ambiguous: number }> {
    return this.db.transaction(async (tx) => {
      const rows = returned<{ id: string; state: OutboxState }>(
        await tx.query(
          `WITH expired AS (
             SELECT id, state FROM outbox_messages WHERE state IN ('processing', 'sending') AND lease_until < $1 FOR UPDATE SKIP LOCKED)
           UPDATE outbox_messages o
              SET state = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = now(),
                  details = CASE WHEN expired.state = 'sending'
                                 THEN o.details || jsonb_build_object('recoveredAfterCrash', coalesce((o.details->>'recoveredAfterCrash')::int, 0) + 1)
                                 ELSE o.details END
             FROM expired WHERE o.id = expired.id
           RETURNING o.id, expired.state`,
          [now],
        ),
      );
      const sending = rows.filter((r) => r.state === 'sending').map((r) => r.id);
      if (sending.length > 0) {
        await tx.query(
          `UPDATE messages m SET status = 'failed', status_rank = 3, error_kind = 'ambiguous',
                  error_message = 'worker stopped before the provider''s answer was recorded', updated_at = now()
             FROM outbox_messages o
            WHERE o.id = ANY($1::bigint[]) AND m.campaign_id = o.campaign_id::text AND m.contact_id = o.contact_id
              AND m.occasion_key = o.occasion_key AND m.status = 'sending'`,
          [sending],
        );
      }
      return { requeued: rows.length, ambiguous: sending.length };
    });
  }
}

/** pg through TypeORM returns [rows, rowCount] for UPDATE … RETURNING. */
function returned<T>(result: unknown): T[] {
  return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as T[]) : [];
}

function affected(result: unknown): number {
  // pg through TypeORM returns [rows, rowCount] for UPDATE.
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
