import { EntityManager } from 'typeorm';

/**
 * How one table gives up a contact's data on erasure.
 *
 * - `delete`: the rows are pure personal history (what they bought, said, were sent); nothing in
 *   them is worth keeping once the person is gone, so they go entirely.
 * - `scrub`: the rows prove something we must still be able to show (that consent existed and was
 *   revoked, that an admin acted); personal columns are overwritten, the rest is kept. Every column
 *   must be named in `set` or `keep`, so a column added later cannot slip through unreviewed.
 * - `custom`: like scrub, but the new values need code (`run` returns the rows it examined).
 */
export type ErasureRule =
  | { rule: 'delete' }
  | { rule: 'scrub'; set: Record<string, string>; keep: string[] }
  | { rule: 'custom'; scrubs: string[]; keep: string[]; run: (tx: EntityManager, contactId: string) => Promise<number> };

export interface PersonalDataTable {
  /** A table in the public schema. */
  table: string;
  /** SQL condition on alias `t` selecting the contact's rows; `$1` is the contact id. */
  rowsOf?: string;
  /** ORDER BY for the export, so a person reads their history in order. */
  orderBy?: string;
  erasure: ErasureRule;
}

export const DEFAULT_ROWS_OF = 't.contact_id = $1';

/** Identifiers come from code and information_schema, never from a request; quoted all the same. */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
