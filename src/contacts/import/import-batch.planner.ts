import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ErrorDetail } from '../../common/errors/api-error';
import { SuppressedKind, SuppressionService } from '../../privacy/suppression.service';
import { CHANNELS } from '../consent-event.entity';
import { ConsentService, ConsentView } from '../consent.service';
import { ConsentSetDto } from '../dto/contact-input.dto';
import { AcceptedKeyFilter } from './accepted-key.filter';
import { changedValues, ColumnValues, insertValues, StoredContact } from './contact-changes';
import { ContactImportRepository, NewConsentEvent } from './contact-import.repository';
import { CheckedRow, ContactFields, ValidRow } from './contact-row.validator';

export interface RowCounts {
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

/** Everything one batch writes, decided from a fixed number of reads. */
export interface BatchPlan {
  inserts: ColumnValues[];
  updates: ColumnValues[];
  consentEvents: NewConsentEvent[];
  errors: Array<ErrorDetail & { line: number }>;
  /** Keys (see jobKey) of the identifiers and matched contacts this batch accepted, with their line. */
  acceptedKeys: Map<string, number>;
  counts: RowCounts;
}

const IDENTIFIERS = ['externalId', 'email', 'phone'] as const;
type Identifier = (typeof IDENTIFIERS)[number];
const FIELD_OF: Record<SuppressedKind, Identifier> = { external_id: 'externalId', email: 'email', phone: 'phone' };

interface Indexes {
  externalId: Map<string, StoredContact>;
  email: Map<string, StoredContact>;
  phone: Map<string, StoredContact>;
}

/**
 * Decides what each valid row of a batch does — insert, update, nothing, or fail — in file order.
 * Duplicates are judged against rows the job already accepted (this batch in memory, earlier
 * batches in import_job_keys), so the answer is the same whether the job ran at once or resumed.
 */
@Injectable()
export class ImportBatchPlanner {
  constructor(
    private readonly repository: ContactImportRepository,
    private readonly suppression: SuppressionService,
    private readonly consent: ConsentService,
  ) {}

  /** `seen`, when given, holds every key the job accepted so far; keys it rules out are not looked up. */
  async plan(tx: EntityManager, jobId: string, rows: CheckedRow[], seen?: AcceptedKeyFilter): Promise<BatchPlan> {
    const plan: BatchPlan = {
      inserts: [], updates: [], consentEvents: [], errors: [], acceptedKeys: new Map(),
      counts: { seen: rows.length, created: 0, updated: 0, unchanged: 0, failed: 0 },
    };
    const fail = (line: number, problems: ErrorDetail[]) => {
      plan.counts.failed++;
      plan.errors.push(...problems.map((p) => ({ line, ...p })));
    };
    const valid = rows.flatMap((r) =>
      r.valid ? [{ row: r.valid, hashes: this.suppression.hashesOf(r.valid.fields).map((h) => ({ ...h, key: jobKey(h.hash) })) }] : [],
    );
    for (const r of rows) if (r.problems) fail(r.line, r.problems);

    const hashes = valid.flatMap((v) => v.hashes.map((h) => h.hash));
    const suppressed = await this.repository.suppressedHashes(tx, hashes);
    const stored = await this.repository.findMatches(tx, {
      externalIds: identifierValues(valid, 'externalId'),
      emails: identifierValues(valid, 'email').map((e) => e.toLowerCase()),
      phones: identifierValues(valid, 'phone'),
    });
    const indexes = indexStored(stored);
    const keys = [...valid.flatMap((v) => v.hashes.map((h) => h.key)), ...stored.map((c) => contactKey(c.id))];
    const earlier = await this.repository.acceptedKeys(tx, jobId, seen ? keys.filter((key) => seen.mightContain(key)) : keys);
    const firstLine = (key: string) => earlier.get(key) ?? plan.acceptedKeys.get(key);

    const accepted: Array<{ row: ValidRow; contact?: StoredContact }> = [];
    for (const { row, hashes: own } of valid) {
      const problems: ErrorDetail[] = [];
      for (const { kind, hash, key } of own) {
        const first = firstLine(key);
        if (suppressed.has(hash)) problems.push({ field: FIELD_OF[kind], problem: 'belongs to an erased contact' });
        else if (first !== undefined) problems.push({ field: FIELD_OF[kind], problem: `duplicate of line ${first}` });
      }
      const match = problems.length === 0 ? matchStored(row.fields, indexes) : { problems: [] };
      problems.push(...match.problems);
      if (match.contact && match.by && problems.length === 0) {
        // Two rows of one file must not both rewrite the same person.
        const first = firstLine(contactKey(match.contact.id));
        if (first !== undefined) problems.push({ field: match.by, problem: `matches the same contact as line ${first}` });
      }
      if (problems.length > 0) {
        fail(row.line, problems);
        continue;
      }
      for (const { key } of own) plan.acceptedKeys.set(key, row.line);
      if (match.contact) plan.acceptedKeys.set(contactKey(match.contact.id), row.line);
      accepted.push({ row, contact: match.contact });
    }

    const current = await this.consent.current(tx, accepted.flatMap((a) => (a.contact && a.row.consent ? [a.contact.id] : [])));
    for (const { row, contact } of accepted) {
      if (!contact) {
        const id = randomUUID();
        plan.inserts.push(insertValues(id, row.fields));
        plan.consentEvents.push(...consentChanges(id, row.consent, {}));
        plan.counts.created++;
        continue;
      }
      const changes = changedValues(contact, row.fields);
      const events = consentChanges(contact.id, row.consent, current.get(contact.id) ?? {});
      if (changes) plan.updates.push(changes);
      plan.consentEvents.push(...events);
      if (changes || events.length > 0) plan.counts.updated++;
      else plan.counts.unchanged++;
    }
    plan.errors.sort((a, b) => a.line - b.line);
    return plan;
  }
}

/**
 * A job key: 16 bytes (as hex) of a keyed identifier hash. Half the digest is plenty to tell a
 * job's keys apart, and keeps import_job_keys small.
 */
function jobKey(hash: string): string {
  return hash.slice(0, 32);
}

/** Contacts the job already wrote share the key table with identifiers, hashed the same size. */
function contactKey(id: string): string {
  return createHash('sha256').update(`contact:${id}`).digest('hex').slice(0, 32);
}

function identifierValues(valid: Array<{ row: ValidRow }>, field: Identifier): string[] {
  return valid.flatMap(({ row }) => (typeof row.fields[field] === 'string' ? [row.fields[field] as string] : []));
}

function indexStored(stored: StoredContact[]): Indexes {
  const indexes: Indexes = { externalId: new Map(), email: new Map(), phone: new Map() };
  for (const contact of stored) {
    if (contact.externalId) indexes.externalId.set(contact.externalId, contact);
    if (contact.email) indexes.email.set(contact.email.toLowerCase(), contact);
    if (contact.phone) indexes.phone.set(contact.phone, contact);
  }
  return indexes;
}

/**
 * Matches by external id, then e-mail, then phone. An identifier in the row that belongs to some
 * other contact is a conflict: updating would take it from that person or break uniqueness.
 */
function matchStored(fields: ContactFields, indexes: Indexes): { contact?: StoredContact; by?: Identifier; problems: ErrorDetail[] } {
  const owners: Partial<Record<Identifier, StoredContact>> = {};
  for (const field of IDENTIFIERS) {
    const value = fields[field];
    if (typeof value === 'string') owners[field] = indexes[field].get(field === 'email' ? value.toLowerCase() : value);
  }
  const by = IDENTIFIERS.find((f) => owners[f]);
  if (!by) return { problems: [] };
  const contact = owners[by]!;
  const problems: ErrorDetail[] = IDENTIFIERS.filter((f) => owners[f] && owners[f].id !== contact.id).map((field) => ({
    field,
    problem: `belongs to a different contact than the one matched by ${by}`,
  }));
  if (by !== 'externalId' && fields.externalId && contact.externalId && contact.externalId !== fields.externalId) {
    problems.push({ field: 'externalId', problem: `differs from the externalId of the contact matched by ${by}` });
  }
  return { contact, by, problems };
}

/** Consent is recorded only where the file changes the current state, so re-importing adds no history. */
function consentChanges(contactId: string, set: ConsentSetDto | undefined, current: ConsentView): NewConsentEvent[] {
  if (!set) return [];
  return CHANNELS.flatMap((channel) => {
    const input = set[channel];
    if (!input || current[channel]?.granted === input.granted) return [];
    return [{ contactId, channel, status: input.granted ? 'granted' : 'revoked', source: input.source ?? 'import', consentText: input.text ?? null }];
  });
}
