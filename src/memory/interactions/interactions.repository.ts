import { Injectable, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PreparedStatements } from '../../common/prepared-statements';
import { ListenerLocks } from './interaction-hooks';
import { InteractionKind, InteractionRecord, PurchaseLineRecord, StoredInteraction } from './interaction-rules';

/** An interaction as the API shows it. */
export interface InteractionView extends StoredInteraction {
  recordedAt: Date;
  recordedBy: string;
  topicRaisedAt: Date | null;
  topicRaisedByMessage: string | null;
}

export interface OpenTopic {
  id: string;
  contactId: string;
  summary: string;
  occurredAt: Date;
}

const VIEW_COLUMNS = `i.id, i.contact_id AS "contactId", i.event_id AS "eventId", i.kind, i.occurred_at AS "occurredAt",
  i.recorded_at AS "recordedAt", i.recorded_by AS "recordedBy", i.channel, i.amount::float8 AS amount, i.currency, i.summary,
  i.details, i.message_id AS "messageId", i.topic_raised_at AS "topicRaisedAt", i.topic_raised_by_message AS "topicRaisedByMessage",
  COALESCE((SELECT jsonb_agg(jsonb_build_object('lineNo', l.line_no, 'productKey', l.product_key, 'name', l.product_name,
                                                'quantity', l.quantity::float8, 'unit', l.unit, 'unitPrice', l.unit_price::float8)
                             ORDER BY l.line_no)
              FROM purchase_lines l WHERE l.interaction_id = i.id), '[]'::jsonb) AS items`;

/** VIEW_COLUMNS of the row an INSERT … RETURNING gave back (its lines come from the lines' own RETURNING). */
const RETURNED_VIEW_COLUMNS = `i.id, i.contact_id AS "contactId", i.event_id AS "eventId", i.kind, i.occurred_at AS "occurredAt",
  i.recorded_at AS "recordedAt", i.recorded_by AS "recordedBy", i.channel, i.amount::float8 AS amount, i.currency, i.summary,
  i.details, i.message_id AS "messageId", i.topic_raised_at AS "topicRaisedAt", i.topic_raised_by_message AS "topicRaisedByMessage"`;

/**
 * One interaction of one live contact, its purchase lines and its audit row, in one statement (the
 * API's busiest write). FOR KEY SHARE keeps a concurrent delete or erasure of the contact out until
 * the transaction ends. An eventId already stored inserts nothing (a concurrent writer of the same
 * eventId is waited for, then skipped); the caller then compares the stored event. The audit row is
 * the one AuditService.record writes for 'interaction.record'.
 *
 * `locks` are the interaction listeners' locks (InteractionHooks.locks of RECORDED_CONTACT_IDS),
 * taken only when the interaction was stored: a listener then reads in the next statement, whose
 * snapshot includes what the previous holder of the locks committed.
 */
function recordOneSql(locks: ListenerLocks): string {
  const lockCtes = [
    ...locks.statements.map((statement, n) => `lock_statement_${n} AS (${statement})`),
    ...locks.queries.map((query, n) => `lock_query_${n} AS (${query})`),
  ];
  // A query that nothing references never runs; counting each one's rows makes it run.
  const runLockQueries = locks.queries.map((_, n) => `(SELECT count(*) FROM lock_query_${n}) >= 0`).join(' AND ');
  return `
  WITH live AS (
    SELECT id FROM contacts WHERE id = $1::uuid AND deleted_at IS NULL FOR KEY SHARE
  ), i AS (
    INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, channel, amount, currency, summary, details, message_id)
    SELECT live.id, $2::text, $3::text, $4::timestamptz, $5::text, $6::text, $7::numeric, $8::text, $9::text, $10::jsonb, $11::uuid
      FROM live
    ON CONFLICT (event_id) DO NOTHING
    RETURNING *
  ), lines AS (
    INSERT INTO purchase_lines (interaction_id, line_no, contact_id, product_key, product_name, quantity, unit, unit_price, occurred_at)
    SELECT i.id, l."lineNo", i.contact_id, l."productKey", l.name, l.quantity, l.unit, l."unitPrice", i.occurred_at
      FROM i, jsonb_to_recordset($12::jsonb) AS l("lineNo" smallint, "productKey" text, name text, quantity numeric, unit text, "unitPrice" numeric)
    RETURNING line_no, product_key, product_name, quantity, unit, unit_price
  ), audit AS (
    INSERT INTO audit_log (actor_key_id, actor_label, action, entity_type, entity_id, changes)
    SELECT $13::uuid, $5::text, 'interaction.record', 'contact', i.contact_id::text,
           jsonb_build_object('interactionId', i.id, 'kind', i.kind, 'eventId', i.event_id)
      FROM i
  )${lockCtes.map((cte) => `, ${cte}`).join('\n')}
  SELECT EXISTS (SELECT 1 FROM live) AS "contactLive", ${RETURNED_VIEW_COLUMNS},
         COALESCE((SELECT jsonb_agg(jsonb_build_object('lineNo', l.line_no, 'productKey', l.product_key, 'name', l.product_name,
                                                       'quantity', l.quantity::float8, 'unit', l.unit, 'unitPrice', l.unit_price::float8)
                                    ORDER BY l.line_no)
                     FROM lines l), '[]'::jsonb) AS items
    FROM (SELECT 1) AS one LEFT JOIN i ON true${runLockQueries ? `\n   WHERE ${runLockQueries}` : ''}`;
}

/** The contacts whose interaction recordOneSql stored (none, or the one), for the listeners' locks. */
export const RECORDED_CONTACT_IDS = 'ARRAY(SELECT contact_id FROM i)';

const NO_LOCKS: ListenerLocks = { statements: [], queries: [] };
const recordOneSqlByLocks = new WeakMap<ListenerLocks, string>();

@Injectable()
export class InteractionsRepository {
  /** Stateless otherwise: other modules construct their own (without the injected statements, recordOne runs unnamed). */
  constructor(@Optional() private readonly statements: PreparedStatements = PreparedStatements.unnamed) {}

  /**
   * Stores one interaction for a contact with its lines and audit row in one round trip, taking
   * `locks` when it stored it. `contactLive` false: no such live contact, nothing stored; `stored`
   * null: the eventId was already stored.
   */
  async recordOne(
    tx: EntityManager,
    record: InteractionRecord,
    actor: { keyId: string | null; label: string },
    locks: ListenerLocks = NO_LOCKS,
  ): Promise<{ contactLive: boolean; stored: InteractionView | null }> {
    let text = recordOneSqlByLocks.get(locks);
    if (text === undefined) recordOneSqlByLocks.set(locks, (text = recordOneSql(locks)));
    const [row] = await this.statements.rows<InteractionView & { contactLive: boolean }>(tx, text, [
      record.contactId, record.eventId, record.kind, record.occurredAt.toISOString(), actor.label, record.channel, record.amount,
      record.currency, record.summary, JSON.stringify(record.details), record.messageId, JSON.stringify(record.items), actor.keyId,
    ]);
    const { contactLive, ...view } = row;
    return { contactLive, stored: view.id ? view : null };
  }

  /**
   * All interactions in one statement. Rows whose eventId is already stored are skipped (a
   * concurrent writer of the same eventId is waited for, then skipped); the caller compares them.
   */
  async insertNew(tx: EntityManager, records: InteractionRecord[], recordedBy: string): Promise<Array<{ id: string; eventId: string; contactId: string }>> {
    const rows = records.map((r) => ({
      contactId: r.contactId, eventId: r.eventId, kind: r.kind, occurredAt: r.occurredAt, channel: r.channel, amount: r.amount,
      currency: r.currency, summary: r.summary, details: r.details, messageId: r.messageId,
    }));
    return tx.query(
      `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, channel, amount, currency, summary, details, message_id)
       SELECT r."contactId", r."eventId", r.kind, r."occurredAt", $2, r.channel, r.amount, r.currency, r.summary, r.details, r."messageId"
         FROM jsonb_to_recordset($1::jsonb) AS r("contactId" uuid, "eventId" text, kind text, "occurredAt" timestamptz, channel text,
              amount numeric, currency text, summary text, details jsonb, "messageId" uuid)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING id, event_id AS "eventId", contact_id AS "contactId"`,
      [JSON.stringify(rows), recordedBy],
    );
  }

  /** The lines of the given purchases in one statement, joined to their interaction by eventId. */
  async insertLines(tx: EntityManager, records: InteractionRecord[]): Promise<void> {
    const lines = records.flatMap((r) => r.items.map((l: PurchaseLineRecord) => ({ eventId: r.eventId, ...l })));
    if (lines.length === 0) return;
    await tx.query(
      `INSERT INTO purchase_lines (interaction_id, line_no, contact_id, product_key, product_name, quantity, unit, unit_price, occurred_at)
       SELECT i.id, l."lineNo", i.contact_id, l."productKey", l.name, l.quantity, l.unit, l."unitPrice", i.occurred_at
         FROM jsonb_to_recordset($1::jsonb) AS l("eventId" text, "lineNo" smallint, "productKey" text, name text,
              quantity numeric, unit text, "unitPrice" numeric)
         JOIN interactions i ON i.event_id = l."eventId"`,
      [JSON.stringify(lines)],
    );
  }

  byEventIds(db: EntityManager, eventIds: string[]): Promise<InteractionView[]> {
    return db.query(`SELECT ${VIEW_COLUMNS} FROM interactions i WHERE i.event_id = ANY($1::text[])`, [eventIds]);
  }

  /** Newest first; the cursor is the (occurred_at, id) of the last row of the previous page. */
  list(
    db: EntityManager,
    contactId: string,
    options: { kinds?: InteractionKind[]; limit: number; after?: [string, string] },
  ): Promise<Array<InteractionView & { cursorAt: string }>> {
    return db.query(
      `SELECT ${VIEW_COLUMNS}, i.occurred_at::text AS "cursorAt"
         FROM interactions i
        WHERE i.contact_id = $1
          AND ($2::text[] IS NULL OR i.kind = ANY($2::text[]))
          AND ($3::timestamptz IS NULL OR (i.occurred_at, i.id) < ($3::timestamptz, $4::uuid))
        ORDER BY i.occurred_at DESC, i.id DESC
        LIMIT $5`,
      [contactId, options.kinds?.length ? options.kinds : null, options.after?.[0] ?? null, options.after?.[1] ?? null, options.limit],
    );
  }

  /** Per contact, the oldest topic not yet raised: the one to bring up next. */
  oldestOpenTopics(db: EntityManager, contactIds: string[]): Promise<OpenTopic[]> {
    return db.query(
      `SELECT DISTINCT ON (contact_id) id, contact_id AS "contactId", summary, occurred_at AS "occurredAt"
         FROM interactions
        WHERE contact_id = ANY($1::uuid[]) AND kind = 'open_topic' AND topic_raised_at IS NULL
        ORDER BY contact_id, occurred_at, recorded_at, id`,
      [contactIds],
    );
  }

  openTopics(db: EntityManager, contactId: string): Promise<OpenTopic[]> {
    return db.query(
      `SELECT id, contact_id AS "contactId", summary, occurred_at AS "occurredAt"
         FROM interactions
        WHERE contact_id = $1 AND kind = 'open_topic' AND topic_raised_at IS NULL
        ORDER BY occurred_at, recorded_at, id`,
      [contactId],
    );
  }

  /** True when this call raised the topic; false when it was already raised (or is no open topic). */
  async markTopicRaised(tx: EntityManager, topicId: string, messageId: string): Promise<boolean> {
    // For an UPDATE, TypeORM's raw query answers [rows, affected].
    const [, affected]: [unknown[], number] = await tx.query(
      `UPDATE interactions SET topic_raised_at = now(), topic_raised_by_message = $2
        WHERE id = $1 AND kind = 'open_topic' AND topic_raised_at IS NULL`,
      [topicId, messageId],
    );
    return affected > 0;
  }
}
