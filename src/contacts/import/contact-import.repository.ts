import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ErrorDetail } from '../../common/errors/api-error';
import { ConsentChannel } from '../consent-event.entity';
import { COLUMN_OF, ColumnValues, ContactField, StoredContact } from './contact-changes';
import { CONTACT_FIELDS } from './contact-row.validator';

/** SQL type of each column, for reading a batch out of one jsonb parameter. */
const SQL_TYPE: Record<ContactField, string> = {
  externalId: 'text', givenName: 'text', familyName: 'text', formOfAddress: 'text', email: 'text', phone: 'text',
  address: 'jsonb', locale: 'text', timeZone: 'text', birthday: 'date', lunarBirthdayMonth: 'smallint',
  lunarBirthdayDay: 'smallint', lunarBirthdayLeap: 'boolean', tags: 'text[]', attributes: 'jsonb',
};
const COLUMNS = CONTACT_FIELDS.map((f) => COLUMN_OF[f]);
const RECORD_TYPE = ['id uuid', ...CONTACT_FIELDS.map((f) => `${COLUMN_OF[f]} ${SQL_TYPE[f]}`)].join(', ');
const NOT_NULL_DEFAULTS: Record<string, string> = { tags: `'{}'::text[]`, attributes: `'{}'::jsonb`, lunar_birthday_leap: 'false' };

const INSERT_SQL = `
  INSERT INTO contacts (id, ${COLUMNS.join(', ')})
  SELECT r.id, ${COLUMNS.map((c) => (NOT_NULL_DEFAULTS[c] ? `COALESCE(r.${c}, ${NOT_NULL_DEFAULTS[c]})` : `r.${c}`)).join(', ')}
    FROM jsonb_to_recordset($1::jsonb) AS r(${RECORD_TYPE})`;

// Each row carries only the columns that change, so "is the key present" decides per cell.
const UPDATE_SQL = `
  UPDATE contacts c
     SET ${CONTACT_FIELDS.map((f) => {
       const col = COLUMN_OF[f];
       const value = f === 'tags' ? `ARRAY(SELECT jsonb_array_elements_text(d->'tags'))` : SQL_TYPE[f] === 'jsonb' ? `NULLIF(d->'${col}', 'null'::jsonb)` : `(d->>'${col}')::${SQL_TYPE[f]}`;
       return `${col} = CASE WHEN d ? '${col}' THEN ${value} ELSE c.${col} END`;
     }).join(',\n         ')},
         updated_at = now()
    FROM jsonb_array_elements($1::jsonb) AS e(d)
   WHERE c.id = (d->>'id')::uuid AND c.xmin::text = d->>'version' AND c.deleted_at IS NULL`;

/** A contact an accepted row of the job wrote (or found unchanged); `identifiers` is the bit set of the kinds the row gave. */
export interface JobContact {
  contactId: string;
  line: number;
  identifiers: number;
}

export interface NewConsentEvent {
  contactId: string;
  channel: ConsentChannel;
  status: 'granted' | 'revoked';
  source: string;
  consentText: string | null;
}

/** The set-based statements of one import batch: a fixed number of queries whatever the batch size. */
@Injectable()
export class ContactImportRepository {
  /**
   * Live contacts holding any of these identifiers, with their row version. Not locked: a re-import
   * that changes nothing must write nothing, and updateContacts checks the version instead.
   */
  async findMatches(tx: EntityManager, ids: { externalIds: string[]; emails: string[]; phones: string[] }): Promise<StoredContact[]> {
    if (ids.externalIds.length + ids.emails.length + ids.phones.length === 0) return [];
    // One index probe per identifier (each unique index answers its own kind), then one read per
    // contact found. An OR over the three lets the planner pick a scan of the whole table instead.
    return tx.query(
      `SELECT id, xmin::text AS version, external_id AS "externalId", given_name AS "givenName", family_name AS "familyName",
              form_of_address AS "formOfAddress", email, phone, address, locale, time_zone AS "timeZone",
              birthday::text AS birthday, lunar_birthday_month AS "lunarBirthdayMonth", lunar_birthday_day AS "lunarBirthdayDay",
              lunar_birthday_leap AS "lunarBirthdayLeap", tags, attributes
         FROM contacts
        WHERE deleted_at IS NULL
          AND id IN (SELECT m.id FROM unnest($1::text[]) AS k(v)
                       CROSS JOIN LATERAL (SELECT id FROM contacts WHERE external_id = k.v AND deleted_at IS NULL) m
                     UNION
                     SELECT m.id FROM unnest($2::text[]) AS k(v)
                       CROSS JOIN LATERAL (SELECT id FROM contacts WHERE lower(email) = k.v AND deleted_at IS NULL) m
                     UNION
                     SELECT m.id FROM unnest($3::text[]) AS k(v)
                       CROSS JOIN LATERAL (SELECT id FROM contacts WHERE phone = k.v AND deleted_at IS NULL) m)`,
      [ids.externalIds, ids.emails, ids.phones],
    );
  }

  /**
   * Every statement of a batch looks rows up by key. While the contacts table grows faster than
   * autovacuum analyses it, the planner believes it small and would scan all of it for each batch:
   * an import that starts on an empty table would slow down with every batch it writes. The
   * penalty seqscan=off adds to plan costs would in turn start JIT compilation, which costs far more
   * (hundreds of milliseconds) than these small keyed statements ever run.
   */
  async preferIndexes(tx: EntityManager): Promise<void> {
    await tx.query(`SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)`);
  }

  /** The planner's idea of the table's size: -1 before the first ANALYZE. */
  async estimatedContacts(db: EntityManager): Promise<number> {
    const rows: Array<{ reltuples: number }> = await db.query(`SELECT reltuples::float8 AS reltuples FROM pg_class WHERE oid = 'contacts'::regclass`);
    return Math.max(0, rows[0]?.reltuples ?? 0);
  }

  /** Fresh statistics for everything else that queries contacts (the API, segments) once an import has changed its size. */
  async analyzeContacts(db: EntityManager): Promise<void> {
    await db.query(`ANALYZE contacts`);
  }

  async suppressedHashes(tx: EntityManager, hashes: string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const rows: Array<{ identifier_hash: string }> = await tx.query(
      `SELECT identifier_hash FROM suppressions WHERE identifier_hash = ANY($1::text[])`,
      [hashes],
    );
    return new Set(rows.map((r) => r.identifier_hash));
  }

  /** Whether anyone was ever erased: without suppressions, no row's identifiers need hashing. */
  async anySuppressions(tx: EntityManager): Promise<boolean> {
    const rows: Array<{ any: boolean }> = await tx.query(`SELECT EXISTS (SELECT 1 FROM suppressions) AS any`);
    return rows[0].any;
  }

  /** Which of these contacts an earlier batch of the job wrote, on which line, with which identifiers. */
  async jobContacts(tx: EntityManager, jobId: string, contactIds: string[]): Promise<Map<string, JobContact>> {
    if (contactIds.length === 0) return new Map();
    const rows: JobContact[] = await tx.query(
      `SELECT contact_id AS "contactId", line, identifiers FROM import_job_contacts WHERE job_id = $1 AND contact_id = ANY($2::uuid[])`,
      [jobId, contactIds],
    );
    return new Map(rows.map((r) => [r.contactId, r]));
  }

  async insertContacts(tx: EntityManager, rows: ColumnValues[]): Promise<void> {
    if (rows.length > 0) await tx.query(INSERT_SQL, [JSON.stringify(rows)]);
  }

  /** Applies the changes; false when a contact changed since it was read, and the batch must be planned again. */
  async updateContacts(tx: EntityManager, rows: ColumnValues[]): Promise<boolean> {
    if (rows.length === 0) return true;
    const [, affected] = (await tx.query(UPDATE_SQL, [JSON.stringify(rows)])) as [unknown, number];
    return affected === rows.length;
  }

  async insertConsentEvents(tx: EntityManager, events: NewConsentEvent[], recordedBy: string): Promise<void> {
    if (events.length === 0) return;
    await tx.query(
      `INSERT INTO contact_consent_events (contact_id, channel, status, source, consent_text, recorded_by)
       SELECT r."contactId", r.channel, r.status, r.source, r."consentText", $2
         FROM jsonb_to_recordset($1::jsonb) AS r("contactId" uuid, channel text, status text, source text, "consentText" text)`,
      [JSON.stringify(events), recordedBy],
    );
  }

  async insertRowErrors(tx: EntityManager, jobId: string, errors: Array<ErrorDetail & { line: number }>): Promise<void> {
    if (errors.length === 0) return;
    // DO NOTHING: a resumed batch may meet errors a previous attempt already stored.
    await tx.query(
      `INSERT INTO import_row_errors (job_id, line, field, problem)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[])
       ON CONFLICT (job_id, line, field) DO NOTHING`,
      [jobId, errors.map((e) => e.line), errors.map((e) => e.field), errors.map((e) => e.problem)],
    );
  }

  async insertJobContacts(tx: EntityManager, jobId: string, contacts: JobContact[]): Promise<void> {
    if (contacts.length === 0) return;
    // No ON CONFLICT: the planner lets one row per job write a contact, so a conflict is a bug to hear about.
    await tx.query(
      `INSERT INTO import_job_contacts (job_id, contact_id, line, identifiers)
       SELECT $1, * FROM unnest($2::uuid[], $3::int[], $4::smallint[])`,
      [jobId, contacts.map((c) => c.contactId), contacts.map((c) => c.line), contacts.map((c) => c.identifiers)],
    );
  }
}
