import { EntityManager } from 'typeorm';
import { CHANNELS } from '../contacts/consent-event.entity';
import { Contact } from '../contacts/contact.entity';
import { ERASED, scrubAuditChanges } from './audit-scrub';
import { PersonalDataTable } from './personal-data';

/** Consent sources the service writes itself; any other source came from a person and may name someone. */
const SYSTEM_CONSENT_SOURCES = ['api', 'import'];

const AUDIT_ROWS_OF = `t.entity_type = 'contact' AND t.entity_id = $1::text`;

/**
 * The contact record and what the contacts module keeps beside it. Declared here rather than in
 * ContactsModule because erasure of the contact row is the anchor the privacy module owns.
 *
 * Not listed, on purpose:
 * - import_row_errors keep a job, a line number, a field name and a problem but no values, so no
 *   row can be tied to a contact and none holds personal data.
 * - suppressions hold keyed hashes only; they are what keeps an erased person erased.
 * - api_keys, import_jobs and schema_migrations are about staff and jobs, not about contacts.
 */
export const CONTACT_PERSONAL_DATA: PersonalDataTable[] = [
  {
    // Kept as consent proof: that consent on a channel existed, when, and that it was revoked is
    // not personal once the contact is anonymous. The wording and a typed-in source might quote
    // the person ("I, Wei Li, agree…"), so both are overwritten rather than judged one by one.
    table: 'contact_consent_events',
    orderBy: 't.recorded_at, t.id',
    erasure: {
      rule: 'scrub',
      set: {
        consent_text: `CASE WHEN t.consent_text IS NULL THEN NULL ELSE '${ERASED}' END`,
        source: `CASE WHEN t.source IN (${SYSTEM_CONSENT_SOURCES.map((s) => `'${s}'`).join(', ')}) THEN t.source ELSE '${ERASED}' END`,
      },
      // recorded_by names the staff key that acted, not the customer.
      keep: ['id', 'contact_id', 'channel', 'status', 'recorded_at', 'recorded_by'],
    },
  },
  {
    // The audit trail must survive erasure (it shows the erasure itself happened), and our rows
    // name fields, never values; the scrub only guards against a writer that breaks that rule.
    table: 'audit_log',
    rowsOf: AUDIT_ROWS_OF,
    orderBy: 't.occurred_at, t.id',
    erasure: {
      rule: 'custom',
      scrubs: ['changes'],
      keep: ['id', 'occurred_at', 'actor_key_id', 'actor_label', 'action', 'entity_type', 'entity_id'],
      run: scrubAuditRows,
    },
  },
  {
    // The row stays as a tombstone: other tables reference it, and erased_at is what tells every
    // reader (and a repeated erase) that the person is gone.
    table: 'contacts',
    rowsOf: 't.id = $1',
    erasure: {
      rule: 'scrub',
      set: {
        external_id: 'NULL', given_name: 'NULL', family_name: 'NULL', form_of_address: 'NULL', email: 'NULL', phone: 'NULL',
        address: 'NULL', locale: 'NULL', time_zone: 'NULL', birthday: 'NULL', lunar_birthday_month: 'NULL',
        lunar_birthday_day: 'NULL', lunar_birthday_leap: 'false', tags: `'{}'`, attributes: `'{}'::jsonb`,
        updated_at: 'now()', erased_at: 'COALESCE(t.erased_at, now())', deleted_at: 'COALESCE(t.deleted_at, now())',
      },
      // status (pending / active) says nothing about the person once the rest is gone.
      keep: ['id', 'created_at', 'status'],
    },
  },
];

async function scrubAuditRows(tx: EntityManager, contactId: string): Promise<number> {
  const vocabulary = new Set<string>([...tx.connection.getMetadata(Contact).columns.map((c) => c.propertyName), ...CHANNELS]);
  const rows: Array<{ id: string; changes: unknown }> = await tx.query(`SELECT t.id, t.changes FROM audit_log t WHERE ${AUDIT_ROWS_OF}`, [contactId]);
  for (const row of rows) {
    const scrubbed = scrubAuditChanges(row.changes, vocabulary);
    if (JSON.stringify(scrubbed) !== JSON.stringify(row.changes)) {
      await tx.query(`UPDATE audit_log SET changes = $2::jsonb WHERE id = $1`, [row.id, JSON.stringify(scrubbed)]);
    }
  }
  return rows.length;
}
