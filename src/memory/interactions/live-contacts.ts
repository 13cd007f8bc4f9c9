import { EntityManager } from 'typeorm';
import { ApiError } from '../../common/errors/api-error';

/**
 * The memory only grows for contacts that exist and are not deleted. FOR KEY SHARE keeps a
 * concurrent delete or erasure from slipping in between this check and the insert.
 */
export async function assertLiveContact(tx: EntityManager, contactId: string): Promise<void> {
  const rows: unknown[] = await tx.query(`SELECT 1 FROM contacts WHERE id = $1 AND deleted_at IS NULL FOR KEY SHARE`, [contactId]);
  if (rows.length === 0) throw ApiError.notFound('Contact', contactId);
}

/** Of these ids, the ones that are not live contacts (one query for any number). */
export async function missingContacts(tx: EntityManager, contactIds: string[]): Promise<Set<string>> {
  const unique = [...new Set(contactIds)];
  const rows: Array<{ id: string }> = await tx.query(
    `SELECT id FROM contacts WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL ORDER BY id FOR KEY SHARE`,
    [unique],
  );
  const live = new Set(rows.map((r) => r.id));
  return new Set(unique.filter((id) => !live.has(id)));
}

/** Read-only check for reads: 404 for an unknown or deleted contact. */
export async function assertContactExists(db: EntityManager, contactId: string): Promise<void> {
  const rows: unknown[] = await db.query(`SELECT 1 FROM contacts WHERE id = $1 AND deleted_at IS NULL`, [contactId]);
  if (rows.length === 0) throw ApiError.notFound('Contact', contactId);
}
