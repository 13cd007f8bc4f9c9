import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ChannelKind, SendOutcome } from '../channels/channel.types';
import { MESSAGE_STATUS_RANK } from '../channels/messages/message-status';
import { PreparedStatements } from '../common/prepared-statements';

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
  /** The messages row of the latest hand-over (a crash leaves it 'sending'; a retry's is closed). */
  messageId: string | null;
  details: Record<string, unknown>;
}

/** A provider's "sent" for one outbox row, as the delivery layer records it. */
export interface SentAnswer {
  outboxId: string;
  owner: string;
  messageId: string;
  outcome: Extract<SendOutcome, { status: 'sent' }>;
  guardMessageId: string | null;
  at: Date;
}

const CLAIMED_COLUMNS = `id, campaign_id AS "campaignId", contact_id AS "contactId", occasion_key AS "occasionKey", due_at AS "dueAt",
  attempts, channel, variant, guard_message_id AS "guardMessageId", message_id AS "messageId", details`;

/**
 * The outbox: one row per recipient and occasion. Every state change is a single conditional UPDATE
 * on one row, guarded by the state it leaves and the worker's lease, so a worker that lost its lease
 * (it stalled, another took over) can never move a row it no longer owns.
 */
@Injectable()
export class OutboxRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly prepared: PreparedStatements,
  ) {}

  /**
   * Claims up to `limit` due rows of the given campaigns for `owner` for `leaseSeconds`. SKIP LOCKED
   * lets any number of workers claim side by side without waiting on each other or taking the same row.
   * `now` (the application's clock) decides what is due; the lease runs on the database's clock, the
   * one clock every worker shares, so a worker whose clock runs ahead never takes a live batch.
   *
   * Each campaign's earliest rows are read in index order (`campaign_id = ANY(...)` cannot be, and
   * sorted every due row of the campaign on each claim: O(backlog) per batch), then the few are
   * merged; `id = ANY(ARRAY(...))` updates them through the primary key rather than a join that
   * PostgreSQL may plan as a scan of the whole outbox. With several campaigns up to `limit` rows of
   * each are locked for the statement's instant; other workers skip them meanwhile.
   */
  async claim(owner: string, campaignIds: string[], now: Date, leaseSeconds: number, limit: number): Promise<ClaimedMessage[]> {
    if (campaignIds.length === 0) return [];
    const result = await this.db.query(
      `UPDATE outbox_messages o
          SET state = 'processing', lease_owner = $1, lease_until = now() + make_interval(secs => $4), attempts = o.attempts + 1, updated_at = now()
        WHERE o.id = ANY (ARRAY(
          SELECT due.id
            FROM unnest($2::uuid[]) AS running(campaign_id)
           CROSS JOIN LATERAL (
             SELECT id, greatest(due_at, next_attempt_at) AS at FROM outbox_messages
              WHERE state = 'pending' AND campaign_id = running.campaign_id AND greatest(due_at, next_attempt_at) <= $3
              ORDER BY greatest(due_at, next_attempt_at), id
              LIMIT $5
              FOR UPDATE SKIP LOCKED) due
           ORDER BY due.at, due.id
           LIMIT $5))
        RETURNING ${CLAIMED_COLUMNS}`,
      [owner, campaignIds, now, leaseSeconds, limit],
    );
    return returned<ClaimedMessage>(result);
  }

  /**
   * The guard said send: each row carries the claim it made, in the guard's own transaction. Returns
   * the ids that moved (a row whose lease this worker lost stays where it is).
   */
  async markSending(
    tx: EntityManager,
    owner: string,
    rows: ReadonlyArray<{ id: string; channel: ChannelKind; variant: string | null; guardMessageId: string; messageId: string | null }>,
  ): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const moved = returned<{ id: string }>(
      await tx.query(
        `UPDATE outbox_messages o
            SET state = 'sending', channel = r.channel, variant = r.variant, guard_message_id = r.guard_message_id,
                message_id = coalesce(r.message_id, o.message_id), updated_at = now()
           FROM unnest($2::bigint[], $3::text[], $4::text[], $5::uuid[], $6::uuid[]) AS r(id, channel, variant, guard_message_id, message_id)
          WHERE o.id = r.id AND o.lease_owner = $1 AND o.state = 'processing'
          RETURNING o.id`,
        [owner, rows.map((r) => r.id), rows.map((r) => r.channel), rows.map((r) => r.variant), rows.map((r) => r.guardMessageId), rows.map((r) => r.messageId)],
      ),
    );
    return new Set(moved.map((r) => String(r.id)));
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
   * to 'sent' in one statement (one implicit transaction). The guard's row is written here rather
   * than through GoldfishGuard.markSent because a second transaction would leave a window in which
   * the outbox says sent and the claim does not. False when the lease was lost.
   *
   * Answers that arrive while the previous statement is in flight go together in the next one (a
   * group commit): the first answer is written at once, and under load each commit carries many,
   * so the window in which a crash leaves an answer unrecorded stays one statement long.
   */
  completeSent(input: SentAnswer): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.answers.push({ input, resolve, reject });
      if (!this.writingAnswers) void this.writeAnswers();
    });
  }

  private readonly answers: Array<{ input: SentAnswer; resolve: (finished: boolean) => void; reject: (error: unknown) => void }> = [];
  private writingAnswers = false;

  private async writeAnswers(): Promise<void> {
    this.writingAnswers = true;
    while (this.answers.length > 0) {
      const group = this.answers.splice(0, 500);
      try {
        const finished = await this.completeSentMany(group.map((a) => a.input));
        for (const answer of group) answer.resolve(finished.has(answer.input.outboxId));
      } catch (error) {
        for (const answer of group) answer.reject(error);
      }
    }
    this.writingAnswers = false;
  }

  /**
   * A prepared statement, so each pooled connection parses it once: it runs every few answers, and
   * PostgreSQL spent longer parsing and planning its three updates (~0.4 ms) than running them for
   * a handful of rows.
   */
  private async completeSentMany(answers: readonly SentAnswer[]): Promise<Set<string>> {
    const rows = await this.prepared.rows<{ id: string }>(
      this.db.manager,
      `WITH answer AS (
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::jsonb[], $7::timestamptz[])
                AS r(outbox_id, owner, message_id, guard_message_id, provider_message_id, details, at)),
       message AS (
         UPDATE messages m SET status = 'sent', status_rank = $8, provider_message_id = a.provider_message_id, sent_at = now(), updated_at = now(),
                details = m.details || a.details
           FROM answer a WHERE m.id = a.message_id AND m.status_rank < $8),
       outbox AS (
         UPDATE outbox_messages o
            SET state = 'sent', reason = 'delivered_to_provider', message_id = a.message_id, lease_owner = NULL, lease_until = NULL,
                details = o.details || jsonb_build_object('worker', a.owner), finished_at = now(), updated_at = now()
           FROM answer a WHERE o.id = a.outbox_id AND o.lease_owner = a.owner AND o.state IN ('processing', 'sending')
          RETURNING o.id, a.guard_message_id, a.at),
       claim AS (
         UPDATE contact_messages c SET state = 'sent', sent_at = outbox.at
           FROM outbox WHERE c.id = outbox.guard_message_id AND c.state = 'claimed')
       SELECT id FROM outbox`,
      [
        answers.map((a) => a.outboxId), answers.map((a) => a.owner), answers.map((a) => a.messageId), answers.map((a) => a.guardMessageId),
        answers.map((a) => a.outcome.providerMessageId), answers.map((a) => JSON.stringify(a.outcome.details ?? {})), answers.map((a) => a.at),
        MESSAGE_STATUS_RANK.sent,
      ],
    );
    return new Set(rows.map((r) => String(r.id)));
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
   * and their messages row stays open for the resend to complete — one record per message, however
   * many crashes it took — noting that it was with a worker that stopped. A duplicate is at most a
   * message the provider had accepted when the crash came, and it keeps its Message-ID. Expiry is
   * judged on the database's clock, like the lease itself; `now` only dates the note.
   */
  async recoverExpiredLeases(now: Date): Promise<{ requeued: number; ambiguous: number }> {
    return this.db.transaction(async (tx) => {
      const rows = returned<{ id: string; state: OutboxState }>(
        await tx.query(
          `WITH expired AS (
             SELECT id, state FROM outbox_messages WHERE state IN ('processing', 'sending') AND lease_until < now() FOR UPDATE SKIP LOCKED)
           UPDATE outbox_messages o
              SET state = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = now(),
                  details = CASE WHEN expired.state = 'sending'
                                 THEN o.details || jsonb_build_object('recoveredAfterCrash', coalesce((o.details->>'recoveredAfterCrash')::int, 0) + 1)
                                 ELSE o.details END
             FROM expired WHERE o.id = expired.id
           RETURNING o.id, expired.state`,
        ),
      );
      const sending = rows.filter((r) => r.state === 'sending').map((r) => r.id);
      if (sending.length > 0) {
        await tx.query(
          `UPDATE messages m SET details = m.details || jsonb_build_object('workerStoppedAt', $2::timestamptz), updated_at = now()
             FROM outbox_messages o
            WHERE o.id = ANY($1::bigint[]) AND m.id = o.message_id AND m.status = 'sending'`,
          [sending, now],
        );
      }
      return { requeued: rows.length, ambiguous: sending.length };
    });
  }

  /** The worker is alive and still holds these rows: their lease moves on (a batch may outlast one lease). */
  async extendLeases(owner: string, ids: readonly string[], leaseSeconds: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `UPDATE outbox_messages SET lease_until = now() + make_interval(secs => $3) WHERE id = ANY($2::bigint[]) AND lease_owner = $1 AND state IN ('processing', 'sending')`,
      [owner, [...ids], leaseSeconds],
    );
  }

  /** Whether this messages row still waits for its provider's answer (a crash left it open), so a resend completes it. */
  async openMessage(messageId: string | null): Promise<string | null> {
    if (!messageId) return null;
    const rows: Array<{ id: string }> = await this.db.query(`SELECT id FROM messages WHERE id = $1 AND status = 'sending'`, [messageId]);
    return rows[0]?.id ?? null;
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
