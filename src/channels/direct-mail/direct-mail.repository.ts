import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { PostalAddress } from '../../contacts/contact.entity';
import { ApiError } from '../../common/errors/api-error';
import { MESSAGE_STATUS_RANK } from '../messages/message-status';
import type { BatchStatus, DirectMailBatchRecord, MailPieceKind, PrintFormat, SkippedContact } from './direct-mail.types';

/** What a letter needs to know about a contact; deleted and erased contacts are returned too, to say why they were skipped. */
export interface MailContact {
  id: string;
  givenName: string | null;
  familyName: string | null;
  formOfAddress: string | null;
  address: PostalAddress | null;
  locale: string | null;
  timeZone: string | null;
  birthday: string | null;
  attributes: Record<string, unknown>;
  deletedAt: Date | null;
  erasedAt: Date | null;
}

export interface NewBatch {
  id: string;
  format: PrintFormat;
  kind: MailPieceKind;
  campaignId: string | null;
  occasionKey: string | null;
  templateKey: string | null;
  locale: string | null;
  postedFrom: string | null;
  asOf: Date;
  requestedCount: number;
  createdBy: string;
  createdByKeyId: string | null;
}

export interface BatchOutcome {
  status: Exclude<BatchStatus, 'rendering'>;
  letterCount: number;
  skipped: SkippedContact[];
  csv?: { path: string; sha256: string; bytes: number };
  pdf?: { path: string; sha256: string; bytes: number; pages: number };
  renderMs?: number;
  errorMessage?: string;
}

/** One `messages` row per printed letter. */
export interface LetterMessage {
  contactId: string;
  recipient: string;
  locale: string;
  letterNumber: number;
}

const BATCH_COLUMNS = `id, format, kind, status, campaign_id AS "campaignId", occasion_key AS "occasionKey", template_key AS "templateKey",
  locale, posted_from AS "postedFrom", as_of AS "asOf", requested_count AS "requestedCount", letter_count AS "letterCount",
  skipped_count AS "skippedCount", skipped, csv_path, csv_sha256, csv_bytes, pdf_path, pdf_sha256, pdf_bytes, page_count,
  render_ms AS "renderMs", error_message AS "errorMessage", files_purged_at AS "filesPurgedAt", created_at AS "createdAt",
  created_by AS "createdBy", created_by_key_id AS "createdByKeyId", completed_at AS "completedAt"`;

type BatchRow = Omit<DirectMailBatchRecord, 'csv' | 'pdf'> & {
  csv_path: string | null;
  csv_sha256: string | null;
  csv_bytes: string | null;
  pdf_path: string | null;
  pdf_sha256: string | null;
  pdf_bytes: string | null;
  page_count: number | null;
};

@Injectable()
export class DirectMailRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The requested contacts in one query, live or not. */
  async contacts(ids: string[]): Promise<MailContact[]> {
    return this.db.query(
      `SELECT id, given_name AS "givenName", family_name AS "familyName", form_of_address AS "formOfAddress", address, locale,
              time_zone AS "timeZone", to_char(birthday, 'YYYY-MM-DD') AS birthday, attributes, deleted_at AS "deletedAt",
              erased_at AS "erasedAt"
         FROM contacts WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  async insertRendering(batch: NewBatch): Promise<void> {
    await this.db.query(
      `INSERT INTO direct_mail_batches (id, format, kind, status, campaign_id, occasion_key, template_key, locale, posted_from, as_of,
                                        requested_count, created_by, created_by_key_id)
       VALUES ($1, $2, $3, 'rendering', $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        batch.id, batch.format, batch.kind, batch.campaignId, batch.occasionKey, batch.templateKey, batch.locale, batch.postedFrom,
        batch.asOf, batch.requestedCount, batch.createdBy, batch.createdByKeyId,
      ],
    );
  }

  /** Moves a batch out of 'rendering' once; a second call changes nothing. */
  async complete(manager: EntityManager, id: string, outcome: BatchOutcome): Promise<void> {
    await manager.query(
      `UPDATE direct_mail_batches
          SET status = $2, letter_count = $3, skipped_count = $4, skipped = $5::jsonb, csv_path = $6, csv_sha256 = $7, csv_bytes = $8,
              pdf_path = $9, pdf_sha256 = $10, pdf_bytes = $11, page_count = $12, render_ms = $13, error_message = $14, completed_at = now()
        WHERE id = $1 AND status = 'rendering'`,
      [
        id, outcome.status, outcome.letterCount, outcome.skipped.length, JSON.stringify(outcome.skipped), outcome.csv?.path ?? null,
        outcome.csv?.sha256 ?? null, outcome.csv?.bytes ?? null, outcome.pdf?.path ?? null, outcome.pdf?.sha256 ?? null,
        outcome.pdf?.bytes ?? null, outcome.pdf?.pages ?? null, outcome.renderMs ?? null, outcome.errorMessage?.slice(0, 2000) ?? null,
      ],
    );
  }

  /**
   * The letters as sent messages, in one statement whatever the batch size. The file is written
   * before this runs, so the rows start at 'sent' (there is no hand-over that could still fail).
   */
  async insertLetters(manager: EntityManager, batch: NewBatch, letters: LetterMessage[]): Promise<number> {
    if (letters.length === 0) return 0;
    const rows = letters.map((l) => ({
      contact_id: l.contactId,
      recipient: l.recipient,
      locale: l.locale,
      provider_message_id: `${batch.id}/${l.letterNumber}`,
      details: { letterNumber: l.letterNumber, page: l.letterNumber, format: batch.format, kind: batch.kind },
    }));
    const inserted: Array<{ id: string }> = await manager.query(
      `INSERT INTO messages (channel, provider, recipient, contact_id, campaign_id, occasion_key, purpose, template_key, locale,
                             batch_id, provider_message_id, details, status, status_rank, sent_at)
       SELECT 'mail', 'print', r.recipient, r.contact_id, $2, $3, 'campaign', $4, r.locale, $5, r.provider_message_id, r.details,
              'sent', $6, now()
         FROM jsonb_to_recordset($1::jsonb) AS r(contact_id uuid, recipient text, locale text, provider_message_id text, details jsonb)
       RETURNING id`,
      [JSON.stringify(rows), batch.campaignId, batch.occasionKey, batch.templateKey, batch.id, MESSAGE_STATUS_RANK.sent],
    );
    return inserted.length;
  }

  async find(id: string): Promise<DirectMailBatchRecord | null> {
    const rows: BatchRow[] = await this.db.query(`SELECT ${BATCH_COLUMNS} FROM direct_mail_batches WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Newest first, with an opaque cursor. */
  async list(limit: number, cursor?: string): Promise<{ items: DirectMailBatchRecord[]; nextCursor: string | null }> {
    const after = cursor ? decodeCursor(cursor) : null;
    const rows: BatchRow[] = await this.db.query(
      `SELECT ${BATCH_COLUMNS} FROM direct_mail_batches
        WHERE $1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::uuid)
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map(toRecord);
    const last = items[items.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null;
    return { items, nextCursor };
  }
}

function toRecord(row: BatchRow): DirectMailBatchRecord {
  const { csv_path, csv_sha256, csv_bytes, pdf_path, pdf_sha256, pdf_bytes, page_count, ...rest } = row;
  return {
    ...rest,
    csv: csv_path && csv_sha256 ? { path: csv_path, sha256: csv_sha256, bytes: Number(csv_bytes) } : null,
    pdf: pdf_path && pdf_sha256 ? { path: pdf_path, sha256: pdf_sha256, bytes: Number(pdf_bytes), pages: page_count ?? 0 } : null,
  };
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(value: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as [string, string];
    if (typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && /^[0-9a-f-]{36}$/i.test(id)) return { createdAt, id };
  } catch {
    // fall through to the error below
  }
  throw ApiError.validation([{ field: 'cursor', problem: 'cursor is not one this API produced' }]);
}
