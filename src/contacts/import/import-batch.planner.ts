import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ErrorDetail } from '../../common/errors/api-error';
import { SuppressedKind, SuppressionService } from '../../privacy/suppression.service';
import { CHANNELS } from '../consent-event.entity';
import { ConsentService, ConsentView } from '../consent.service';
import { ConsentSetDto } from '../dto/contact-input.dto';
import { changedValues, ColumnValues, insertValues, StoredContact } from './contact-changes';
import { ContactImportRepository, JobContact, NewConsentEvent } from './contact-import.repository';
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
  /** The contact each accepted row wrote (or left unchanged), for the job's later batches and a resume. */
  jobContacts: JobContact[];
  counts: RowCounts;
}

const IDENTIFIERS = ['externalId', 'email', 'phone'] as const;
type Identifier = (typeof IDENTIFIERS)[number];
const FIELD_OF: Record<SuppressedKind, Identifier> = { external_id: 'externalId', email: 'email', phone: 'phone' };
/** The bit of each identifier in import_job_contacts.identifiers. */
const BIT_OF: Record<Identifier, number> = { externalId: 1, email: 2, phone: 4 };

interface Indexes {
  externalId: Map<string, StoredContact>;
  email: Map<string, StoredContact>;
  phone: Map<string, StoredContact>;
}

/**
 * Decides what each valid row of a batch does — insert, update, nothing, or fail — in file order.
 * Duplicates are judged against rows the job already accepted: this batch's in memory, earlier
 * batches' through the contacts they wrote. An accepted row's identifiers are held by the contact
 * it wrote, so the batch's one match against live contacts finds them, and import_job_contacts
 * says which line of this job wrote that contact and which identifiers it gave. The answer is the
 * same whether the job ran at once or resumed.
 */
@Injectable()
export class ImportBatchPlanner {
  constructor(
    private readonly repository: ContactImportRepository,
    private readonly suppression: SuppressionService,
    private readonly consent: ConsentService,
  ) {}

  async plan(tx: EntityManager, jobId: string, rows: CheckedRow[]): Promise<BatchPlan> {
    const plan: BatchPlan = {
      inserts: [], updates: [], consentEvents: [], errors: [], jobContacts: [],
      counts: { seen: rows.length, created: 0, updated: 0, unchanged: 0, failed: 0 },
    };
    const fail = (line: number, problems: ErrorDetail[]) => {
      plan.counts.failed++;
      plan.errors.push(...problems.map((p) => ({ line, ...p })));
    };
    const valid: ValidRow[] = [];
    for (const r of rows) {
      if (r.valid) valid.push(r.valid);
      else fail(r.line, r.problems);
    }

    const erased = await this.erasedIdentifiers(tx, valid);
    const stored = await this.repository.findMatches(tx, {
      externalIds: identifierValues(valid, 'externalId'),
      emails: identifierValues(valid, 'email'),
      phones: identifierValues(valid, 'phone'),
    });
    const indexes = indexStored(stored);
    const writtenBefore = await this.repository.jobContacts(tx, jobId, stored.map((c) => c.id));
    // This batch's own accepted rows: by identifier, and by the existing contact they matched.
    const lineOfIdentifier = new Map<string, number>();
    const lineOfContact = new Map<string, number>();

    const accepted: Array<{ row: ValidRow; contact?: StoredContact }> = [];
    for (const row of valid) {
      const problems: ErrorDetail[] = [];
      const owners = ownersOf(row.fields, indexes);
      for (const field of IDENTIFIERS) {
        const value = identifierOf(row.fields, field);
        if (value === undefined) continue;
        if (erased.get(row)?.has(field)) {
          problems.push({ field, problem: 'belongs to an erased contact' });
          continue;
        }
        // An earlier batch's row that gave this identifier wrote it to the contact now holding it.
        const earlier = owners[field] && writtenBefore.get(owners[field].id);
        const first = lineOfIdentifier.get(`${field}:${value}`) ?? (earlier && earlier.identifiers & BIT_OF[field] ? earlier.line : undefined);
        if (first !== undefined) problems.push({ field, problem: `duplicate of line ${first}` });
      }
      const match = problems.length === 0 ? matchStored(row.fields, owners) : { problems: [] };
      problems.push(...match.problems);
      if (match.contact && match.by && problems.length === 0) {
        // Two rows of one file must not both rewrite the same person.
        const first = lineOfContact.get(match.contact.id) ?? writtenBefore.get(match.contact.id)?.line;
        if (first !== undefined) problems.push({ field: match.by, problem: `matches the same contact as line ${first}` });
      }
      if (problems.length > 0) {
        fail(row.line, problems);
        continue;
      }
      for (const field of IDENTIFIERS) {
        const value = identifierOf(row.fields, field);
        if (value !== undefined) lineOfIdentifier.set(`${field}:${value}`, row.line);
      }
      if (match.contact) lineOfContact.set(match.contact.id, row.line);
      accepted.push({ row, contact: match.contact });
    }

    const current = await this.consent.current(tx, accepted.flatMap((a) => (a.contact && a.row.consent ? [a.contact.id] : [])));
    for (const { row, contact } of accepted) {
      const identifiers = IDENTIFIERS.reduce((bits, field) => (identifierOf(row.fields, field) === undefined ? bits : bits | BIT_OF[field]), 0);
      if (!contact) {
        const id = randomUUID();
        plan.inserts.push(insertValues(id, row.fields));
        plan.consentEvents.push(...consentChanges(id, row.consent, {}));
        plan.jobContacts.push({ contactId: id, line: row.line, identifiers });
        plan.counts.created++;
        continue;
      }
      const changes = changedValues(contact, row.fields);
      const events = consentChanges(contact.id, row.consent, current.get(contact.id) ?? {});
      if (changes) plan.updates.push(changes);
      plan.consentEvents.push(...events);
      plan.jobContacts.push({ contactId: contact.id, line: row.line, identifiers });
      if (changes || events.length > 0) plan.counts.updated++;
      else plan.counts.unchanged++;
    }
    plan.errors.sort((a, b) => a.line - b.line);
    return plan;
  }

  /**
   * The identifiers of erased people among the rows. Their keyed hashes cost three HMACs a row, so
   * they are only made when someone has been erased at all; the read runs in the batch's
   * transaction, so an erasure committed before it is seen either way.
   */
  private async erasedIdentifiers(tx: EntityManager, rows: ValidRow[]): Promise<Map<ValidRow, Set<Identifier>>> {
    const erased = new Map<ValidRow, Set<Identifier>>();
    if (rows.length === 0 || !(await this.repository.anySuppressions(tx))) return erased;
    const hashed = rows.map((row) => ({ row, hashes: this.suppression.hashesOf(row.fields) }));
    const suppressed = await this.repository.suppressedHashes(tx, hashed.flatMap((h) => h.hashes.map((x) => x.hash)));
    for (const { row, hashes } of hashed) {
      for (const { kind, hash } of hashes) {
        if (!suppressed.has(hash)) continue;
        if (!erased.has(row)) erased.set(row, new Set());
        erased.get(row)!.add(FIELD_OF[kind]);
      }
    }
    return erased;
  }
}

/** The identifier as the unique indexes compare it (e-mail case-insensitively), or undefined when not given. */
function identifierOf(fields: ContactFields, field: Identifier): string | undefined {
  const value = fields[field];
  if (typeof value !== 'string' || value === '') return undefined;
  return field === 'email' ? value.toLowerCase() : value;
}

function identifierValues(valid: ValidRow[], field: Identifier): string[] {
  return valid.flatMap((row) => identifierOf(row.fields, field) ?? []);
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

/** The live contact holding each identifier the row gives. */
function ownersOf(fields: ContactFields, indexes: Indexes): Partial<Record<Identifier, StoredContact>> {
  const owners: Partial<Record<Identifier, StoredContact>> = {};
  for (const field of IDENTIFIERS) {
    const value = identifierOf(fields, field);
    if (value !== undefined) owners[field] = indexes[field].get(value);
  }
  return owners;
}

/**
 * Matches by external id, then e-mail, then phone. An identifier in the row that belongs to some
 * other contact is a conflict: updating would take it from that person or break uniqueness.
 */
function matchStored(fields: ContactFields, owners: Partial<Record<Identifier, StoredContact>>): { contact?: StoredContact; by?: Identifier; problems: ErrorDetail[] } {
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
