import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ApiError } from '../../common/errors/api-error';
import { GuardDecisionRecord } from './guard-decision.entity';
import { GuardChannel, GuardReason, GuardVerdict } from './guard.types';

export interface DecisionToRecord {
  contactId: string;
  campaignId: string;
  occasionKey: string;
  channel: GuardChannel;
  decision: GuardVerdict;
  reason: GuardReason;
  deferUntil: Date | null;
  messageId: string | null;
  details: Record<string, unknown>;
  decidedAt: Date;
}

@Injectable()
export class GuardDecisionsRepository {
  /** Written in the transaction that changed contact_messages, so a decision and its effect land together. */
  async record(tx: EntityManager, d: DecisionToRecord): Promise<string> {
    const rows: Array<{ id: string }> = await tx.query(
      `INSERT INTO guard_decisions (contact_id, campaign_id, occasion_key, channel, decision, reason, defer_until, message_id, details, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10) RETURNING id`,
      [d.contactId, d.campaignId, d.occasionKey, d.channel, d.decision, d.reason, d.deferUntil, d.messageId, JSON.stringify(d.details), d.decidedAt],
    );
    return String(rows[0].id);
  }

  /** Newest first, by id (decisions are appended), with an opaque cursor. */
  async listForContact(tx: EntityManager, contactId: string, limit: number, cursor?: string): Promise<{ items: GuardDecisionRecord[]; nextCursor: string | null }> {
    const qb = tx.getRepository(GuardDecisionRecord).createQueryBuilder('d').where('d.contact_id = :contactId', { contactId });
    if (cursor) qb.andWhere('d.id < :before', { before: decodeCursor(cursor) });
    const rows = await qb.orderBy('d.id', 'DESC').limit(limit + 1).getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? Buffer.from(String(last.id)).toString('base64url') : null };
  }
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (/^\d{1,18}$/.test(id)) return id;
  throw ApiError.validation([{ field: 'cursor', problem: 'cursor is not one this API produced' }]);
}
