import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor } from '../../auth/actor';
import { ApiError, ErrorDetail } from '../../common/errors/api-error';
import { BatchInteractionDto, InteractionInputDto } from './dto/interaction-input.dto';
import { ListInteractionsQuery } from './dto/list-interactions.query';
import { InteractionHooks } from './interaction-hooks';
import { InteractionRecord, replayDifferences, toInteractionRecord } from './interaction-rules';
import { InteractionsRepository, InteractionView, RECORDED_CONTACT_IDS } from './interactions.repository';
import { assertContactExists, missingContacts } from './live-contacts';
import { decodeCursor, encodeCursor } from './query-params';

export interface StoredOutcome {
  index: number;
  eventId: string;
  id: string;
  status: 'created' | 'replayed';
}

export interface BatchOutcome {
  created: number;
  replayed: number;
  results: StoredOutcome[];
}

/**
 * Records what happened with customers. Each event is stored once per client eventId: sending it
 * again returns what was stored and writes nothing; reusing an eventId for something else is a 409.
 * Derived memory (value, run-out dates) is updated by the hooks in the same transaction.
 */
@Injectable()
export class InteractionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: InteractionsRepository,
    private readonly hooks: InteractionHooks,
    private readonly audit: AuditService,
  ) {}

  /**
   * The API's busiest write: the interaction, its lines, its audit row and the derived-memory locks
   * in one statement, then the derived memory, all in one transaction; the answer is what the insert
   * returned (no read after it).
   */
  async recordOne(contactId: string, dto: InteractionInputDto, actor: Actor): Promise<{ interaction: InteractionView; created: boolean }> {
    const { record, problems } = toInteractionRecord(dto, contactId, Date.now());
    if (problems.length > 0) throw ApiError.validation(problems);
    return this.db.transaction(async (tx) => {
      const { contactLive, stored } = await this.repository.recordOne(tx, record, actor, this.hooks.locks(RECORDED_CONTACT_IDS));
      if (!contactLive) throw ApiError.notFound('Contact', contactId);
      if (stored) {
        await this.hooks.run(tx, [contactId], true);
        return { interaction: stored, created: true };
      }
      const [existing] = await this.repository.byEventIds(tx, [record.eventId]);
      const differs = replayDifferences(existing, record);
      if (differs.length > 0) throw eventIdConflict([{ field: 'eventId', problem: eventIdReused(record.eventId, differs) }]);
      return { interaction: existing, created: false };
    });
  }

  /** Up to 1,000 interactions for many contacts: all stored, or (on any problem) none. */
  async recordBatch(items: BatchInteractionDto[], actor: Actor): Promise<BatchOutcome> {
    const now = Date.now();
    const problems: ErrorDetail[] = [];
    const records = items.map((item, i) => {
      const checked = toInteractionRecord(item, item.contactId, now, `items[${i}]`);
      problems.push(...checked.problems);
      return checked.record;
    });
    // The same event twice in one batch is a client retry folded in; the same eventId for two different events is a mistake.
    const firstIndex = new Map<string, number>();
    records.forEach((record, i) => {
      const first = firstIndex.get(record.eventId);
      if (first === undefined) return void firstIndex.set(record.eventId, i);
      if (replayDifferences({ ...records[first], id: '' }, record).length > 0) {
        problems.push({ field: `items[${i}].eventId`, problem: `items[${i}].eventId repeats items[${first}].eventId with a different payload` });
      }
    });
    if (problems.length > 0) throw ApiError.validation(problems);
    const unique = [...firstIndex.values()].map((i) => records[i]);

    const stored = await this.db.transaction(async (tx) => {
      const missing = await missingContacts(tx, unique.map((r) => r.contactId));
      if (missing.size > 0) {
        throw ApiError.validation(
          records.flatMap((r, i) => (missing.has(r.contactId) ? [{ field: `items[${i}].contactId`, problem: `contact ${r.contactId} does not exist` }] : [])),
        );
      }
      const outcomes = await this.store(tx, unique, actor, (eventId) => `items[${firstIndex.get(eventId)}].`);
      const created = outcomes.filter((o) => o.status === 'created');
      if (created.length > 0) {
        const kinds: Record<string, number> = {};
        for (const r of unique) if (created.some((c) => c.eventId === r.eventId)) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
        await this.audit.record(tx, actor, 'interaction.batch', 'interaction', null, { created: created.length, replayed: outcomes.length - created.length, kinds });
      }
      return new Map(outcomes.map((o) => [o.eventId, o]));
    });
    const results = records.map((r, index) => ({ ...stored.get(r.eventId)!, index }));
    const created = [...stored.values()].filter((o) => o.status === 'created').length;
    return { created, replayed: stored.size - created, results };
  }

  async list(contactId: string, query: ListInteractionsQuery, db: EntityManager = this.db.manager) {
    await assertContactExists(db, contactId);
    const after = query.cursor ? (decodeCursor(query.cursor, 2) as [string, string]) : undefined;
    if (after && !/^[0-9a-f-]{36}$/i.test(after[1])) throw ApiError.validation([{ field: 'cursor', problem: 'cursor is not one this API produced' }]);
    const rows = await this.repository.list(db, contactId, { kinds: query.kind, limit: query.limit + 1, after });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(({ cursorAt: _cursor, ...view }) => view),
      nextCursor: rows.length > query.limit && last ? encodeCursor([last.cursorAt, last.id]) : null,
    };
  }

  /**
   * One insert for all interactions, one for all purchase lines, one read of replayed events;
   * never a round trip per row. `fieldOf` names a record's place in the request for errors.
   */
  private async store(tx: EntityManager, records: InteractionRecord[], actor: Actor, fieldOf: (eventId: string) => string): Promise<Array<Omit<StoredOutcome, 'index'>>> {
    const inserted = new Map((await this.repository.insertNew(tx, records, actor.label)).map((row) => [row.eventId, row]));
    const replays = records.filter((r) => !inserted.has(r.eventId));
    const existing = new Map(replays.length > 0 ? (await this.repository.byEventIds(tx, replays.map((r) => r.eventId))).map((s) => [s.eventId, s]) : []);
    const conflicts: ErrorDetail[] = [];
    for (const record of replays) {
      const differs = replayDifferences(existing.get(record.eventId)!, record);
      if (differs.length > 0) {
        conflicts.push({ field: `${fieldOf(record.eventId)}eventId`, problem: eventIdReused(record.eventId, differs) });
      }
    }
    if (conflicts.length > 0) throw eventIdConflict(conflicts);
    const created = records.filter((r) => inserted.has(r.eventId));
    await this.repository.insertLines(tx, created);
    if (created.length > 0) await this.hooks.run(tx, created.map((r) => r.contactId));
    return records.map((r) => {
      const row = inserted.get(r.eventId);
      return row ? { eventId: r.eventId, id: row.id, status: 'created' as const } : { eventId: r.eventId, id: existing.get(r.eventId)!.id, status: 'replayed' as const };
    });
  }
}

function eventIdReused(eventId: string, differs: string[]): string {
  return `eventId "${eventId}" was already used for a different interaction (differs in ${differs.join(', ')})`;
}

function eventIdConflict(conflicts: ErrorDetail[]): ApiError {
  return new ApiError(HttpStatus.CONFLICT, 'EVENT_ID_CONFLICT', 'An eventId was already used for a different interaction; nothing was stored.', conflicts);
}
