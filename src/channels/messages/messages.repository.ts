import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ChannelKind, SendOutcome } from '../channel.types';
import { MESSAGE_STATUS_RANK, MessageStatus } from './message-status';

export interface NewMessage {
  /** Chosen by the caller when it must know the id before the row is written (the outbox notes it first). */
  id?: string;
  channel: ChannelKind;
  provider: string;
  recipient: string;
  contactId?: string | null;
  campaignId?: string | null;
  occasionKey?: string | null;
  purpose?: 'campaign' | 'test' | 'transactional';
  templateKey?: string | null;
  templateVersion?: number | null;
  variant?: string | null;
  locale?: string | null;
  subject?: string | null;
  batchId?: string | null;
  details?: Record<string, unknown>;
}

export interface MessageRecord {
  id: string;
  channel: ChannelKind;
  provider: string;
  contactId: string | null;
  campaignId: string | null;
  occasionKey: string | null;
  purpose: string;
  templateKey: string | null;
  templateVersion: number | null;
  variant: string | null;
  locale: string | null;
  recipient: string;
  subject: string | null;
  status: MessageStatus;
  providerMessageId: string | null;
  errorKind: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  details: Record<string, unknown>;
  batchId: string | null;
  createdAt: Date;
  sentAt: Date | null;
  updatedAt: Date;
}

export interface MessageEventRecord {
  id: string;
  status: string;
  providerStatus: string | null;
  applied: boolean;
  occurredAt: Date | null;
  receivedAt: Date;
  payload: Record<string, unknown>;
}

const MESSAGE_COLUMNS = `id, channel, provider, contact_id AS "contactId", campaign_id AS "campaignId", occasion_key AS "occasionKey",
  purpose, template_key AS "templateKey", template_version AS "templateVersion", variant, locale, recipient, subject, status,
  provider_message_id AS "providerMessageId", error_kind AS "errorKind", error_code AS "errorCode", error_message AS "errorMessage",
  details, batch_id AS "batchId", created_at AS "createdAt", sent_at AS "sentAt", updated_at AS "updatedAt"`;

@Injectable()
export class MessagesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(input: NewMessage, manager: EntityManager = this.db.manager): Promise<string> {
    return (await this.insertMany([input], manager))[0];
  }

  /** One statement for a batch; the ids are made here, so they come back in the order given. */
  async insertMany(inputs: readonly NewMessage[], manager: EntityManager = this.db.manager): Promise<string[]> {
    if (inputs.length === 0) return [];
    const ids = inputs.map((input) => input.id ?? randomUUID());
    const column = <T>(pick: (input: NewMessage) => T) => inputs.map(pick);
    await manager.query(
      `INSERT INTO messages (id, channel, provider, recipient, contact_id, campaign_id, occasion_key, purpose, template_key,
                             template_version, variant, locale, subject, batch_id, details, status, status_rank)
       SELECT r.*, 'sending', $16::int
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[],
                     $10::int[], $11::text[], $12::text[], $13::text[], $14::uuid[], $15::jsonb[]) AS r`,
      [
        ids, column((i) => i.channel), column((i) => i.provider), column((i) => i.recipient), column((i) => i.contactId ?? null),
        column((i) => i.campaignId ?? null), column((i) => i.occasionKey ?? null), column((i) => i.purpose ?? 'campaign'),
        column((i) => i.templateKey ?? null), column((i) => i.templateVersion ?? null), column((i) => i.variant ?? null),
        column((i) => i.locale ?? null), column((i) => i.subject ?? null), column((i) => i.batchId ?? null),
        column((i) => JSON.stringify(i.details ?? {})), MESSAGE_STATUS_RANK.sending,
      ],
    );
    return ids;
  }

  /** The provider's answer to the hand-over. Only a message still 'sending' takes it. */
  async recordOutcome(id: string, outcome: SendOutcome, manager: EntityManager = this.db.manager): Promise<void> {
    if (outcome.status === 'sent') {
      await manager.query(
        `UPDATE messages SET status = 'sent', status_rank = $2, provider_message_id = $3, sent_at = now(), updated_at = now(),
                details = details || $4::jsonb
          WHERE id = $1 AND status_rank < $2`,
        [id, MESSAGE_STATUS_RANK.sent, outcome.providerMessageId, JSON.stringify(outcome.details ?? {})],
      );
      return;
    }
    await manager.query(
      `UPDATE messages SET status = 'failed', status_rank = $2, error_kind = $3, error_code = $4, error_message = $5,
              updated_at = now(), details = details || $6::jsonb
        WHERE id = $1 AND status_rank < $2`,
      [id, MESSAGE_STATUS_RANK.failed, outcome.status, outcome.code ?? null, outcome.error.slice(0, 2000), JSON.stringify(outcome.details ?? {})],
    );
  }

  async lockByProviderId(manager: EntityManager, provider: string, providerMessageId: string): Promise<{ id: string; status: MessageStatus; contactId: string | null; channel: ChannelKind; recipient: string } | null> {
    const rows = await manager.query(
      `SELECT id, status, contact_id AS "contactId", channel, recipient FROM messages
        WHERE provider = $1 AND provider_message_id = $2 FOR UPDATE`,
      [provider, providerMessageId],
    );
    return rows[0] ?? null;
  }

  /** Locks our message `id` of this provider that has no provider id yet, and gives it `providerMessageId`. */
  async adoptProviderId(manager: EntityManager, id: string, provider: string, providerMessageId: string): Promise<{ id: string; status: MessageStatus; contactId: string | null; channel: ChannelKind; recipient: string } | null> {
    const rows = await manager.query(
      `UPDATE messages SET provider_message_id = $3, updated_at = now()
        WHERE id = $1 AND provider = $2 AND (provider_message_id IS NULL OR provider_message_id = $3)
        RETURNING id, status, contact_id AS "contactId", channel, recipient`,
      [id, provider, providerMessageId],
    );
    return (Array.isArray(rows[0]) ? rows[0][0] : null) ?? null;
  }

  async moveStatus(manager: EntityManager, id: string, status: MessageStatus, error?: { code?: string; message?: string }): Promise<void> {
    await manager.query(
      `UPDATE messages SET status = $2, status_rank = $3, updated_at = now(),
              error_kind = CASE WHEN $4::text IS NULL THEN error_kind ELSE 'permanent' END,
              error_code = COALESCE($4, error_code), error_message = COALESCE($5, error_message)
        WHERE id = $1 AND status_rank < $3`,
      [id, status, MESSAGE_STATUS_RANK[status], error?.code ?? null, error?.message ?? null],
    );
  }

  async insertEvent(
    manager: EntityManager,
    event: { messageId: string; status: string; providerStatus?: string | null; applied: boolean; occurredAt?: Date | null; payload?: Record<string, unknown> },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO message_events (message_id, status, provider_status, applied, occurred_at, payload) VALUES ($1, $2, $3, $4, $5, $6)`,
      [event.messageId, event.status, event.providerStatus ?? null, event.applied, event.occurredAt ?? null, JSON.stringify(event.payload ?? {})],
    );
  }

  async find(id: string): Promise<MessageRecord | null> {
    const rows = await this.db.query(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async events(id: string): Promise<MessageEventRecord[]> {
    return this.db.query(
      `SELECT id, status, provider_status AS "providerStatus", applied, occurred_at AS "occurredAt", received_at AS "receivedAt", payload
         FROM message_events WHERE message_id = $1 ORDER BY id`,
      [id],
    );
  }
}
