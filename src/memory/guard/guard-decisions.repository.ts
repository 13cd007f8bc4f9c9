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
  /**
   * Written in the transaction that changed contact_messages, so a decision and its effect land
   * together; one statement for a batch. The ids come back in the order given: the rows are
   * inserted in that order, so the sequence hands out ascending ids in that order.
   */
  async record(tx: EntityManager, decisions: readonly DecisionToRecord[]): Promise<string[]> {
    if (decisions.length === 0) return [];
    const rows: Array<{ id: string }> = await tx.query(
      `WITH inserted AS (
         INSERT INTO guard_decisions (contact_id, campaign_id, occasion_key, channel, decision, reason, defer_until, message_id, details, decided_at)
         SELECT contact_id, campaign_id, occasion_key, channel, decision, reason, defer_until, message_id, details, decided_at
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::uuid[], $9::jsonb[], $10::timestamptz[])
                WITH ORDINALITY AS r(contact_id, campaign_id, occasion_key, channel, decision, reason, defer_until, message_id, details, decided_at, position)
          ORDER BY position
         RETURNING id)
       SELECT id FROM inserted ORDER BY id`,
      [
        decisions.map((d) => d.contactId), decisions.map((d) => d.campaignId), decisions.map((d) => d.occasionKey),
        decisions.map((d) => d.channel), decisions.map((d) => d.decision), decisions.map((d) => d.reason),
        decisions.map((d) => d.deferUntil), decisions.map((d) => d.messageId), decisions.map((d) => JSON.stringify(d.details)),
        decisions.map((d) => d.decidedAt),
      ],
    );
    return rows.map((r) => String(r.id));
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
