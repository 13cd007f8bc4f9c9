import { PostalAddress } from '../contact.entity';
import { CONTACT_FIELDS, ContactFields } from './contact-row.validator';

/** A live contact as the import reads it: only what it compares, in stored form. */
export interface StoredContact {
  id: string;
  /** The row version (xmin) that was read; the update applies only if it is still current. */
  version: string;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  formOfAddress: string | null;
  email: string | null;
  phone: string | null;
  address: PostalAddress | null;
  locale: string | null;
  timeZone: string | null;
  /** YYYY-MM-DD, read as text so no time zone shifts it. */
  birthday: string | null;
  lunarBirthdayMonth: number | null;
  lunarBirthdayDay: number | null;
  lunarBirthdayLeap: boolean;
  tags: string[];
  attributes: Record<string, unknown>;
}

export type ContactField = (typeof CONTACT_FIELDS)[number];

/** The column of each field; the SQL is built from this list so the two cannot drift apart. */
export const COLUMN_OF: Record<ContactField, string> = {
  externalId: 'external_id', givenName: 'given_name', familyName: 'family_name', formOfAddress: 'form_of_address',
  email: 'email', phone: 'phone', address: 'address', locale: 'locale', timeZone: 'time_zone', birthday: 'birthday',
  lunarBirthdayMonth: 'lunar_birthday_month', lunarBirthdayDay: 'lunar_birthday_day', lunarBirthdayLeap: 'lunar_birthday_leap',
  tags: 'tags', attributes: 'attributes',
};

/** A row for INSERT or UPDATE: the id (and for an update the version read) and the columns to write, keyed by column name. */
export type ColumnValues = { id: string; version?: string } & Record<string, unknown>;

export function insertValues(id: string, fields: ContactFields): ColumnValues {
  const values: ColumnValues = { id };
  for (const field of CONTACT_FIELDS) {
    if (fields[field] !== undefined) values[COLUMN_OF[field]] = fields[field];
  }
  return values;
}

/**
 * The columns a row would change on a stored contact, or null when it changes none — which is what
 * makes a second import of the same file a no-op. Attributes are merged (a file names only the
 * attributes it knows); every other field given replaces the stored one.
 */
export function changedValues(stored: StoredContact, fields: ContactFields): ColumnValues | null {
  const values: ColumnValues = { id: stored.id, version: stored.version };
  let changed = false;
  for (const field of CONTACT_FIELDS) {
    let next: unknown = fields[field];
    if (next === undefined) continue;
    if (field === 'attributes') next = { ...stored.attributes, ...(next as Record<string, unknown>) };
    if (!sameValue(stored[field], next)) {
      values[COLUMN_OF[field]] = next;
      changed = true;
    }
  }
  return changed ? values : null;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}

/** jsonb does not keep key order, so objects compare by sorted keys; arrays keep their order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    // An undefined member is absent, as it is once stored in jsonb.
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
