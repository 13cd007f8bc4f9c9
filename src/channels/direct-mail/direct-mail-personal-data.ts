import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { EntityManager } from 'typeorm';
import type { PersonalDataTable } from '../../privacy/personal-data';

/**
 * A batch row names a person in two ways: a letter to them (a `messages` row with the batch id)
 * and an entry in `skipped` ({contactId, reason}). The letter's message row is the messages
 * module's to scrub; the batch's files are ours, and they print the name and address of everyone
 * in it. So erasing a person:
 * - nulls their contactId in every `skipped` list (the reason and the counts stay);
 * - deletes the CSV and PDF of every batch they had a letter in and stamps `files_purged_at`.
 *   The print house has had the files already; what stays is the record that the batch existed,
 *   its counts and hashes. The files go even if the erasure's transaction later rolls back
 *   (the safe side for the person); downloads then answer 410.
 * An export lists those batch rows whole: other entries of `skipped` show only contact ids and
 * reasons, no names or addresses.
 */
export function directMailPersonalData(outboxDir: string): PersonalDataTable {
  return {
    table: 'direct_mail_batches',
    rowsOf: `t.id IN (SELECT m.batch_id FROM messages m WHERE m.contact_id = $1::uuid AND m.channel = 'mail')
             OR t.skipped @> jsonb_build_array(jsonb_build_object('contactId', $1::text))`,
    orderBy: 't.created_at, t.id',
    erasure: {
      rule: 'custom',
      scrubs: ['skipped'],
      keep: [
        'id', 'format', 'kind', 'status', 'campaign_id', 'occasion_key', 'template_key', 'locale', 'posted_from', 'as_of',
        'requested_count', 'letter_count', 'skipped_count', 'csv_path', 'csv_sha256', 'csv_bytes', 'pdf_path', 'pdf_sha256',
        'pdf_bytes', 'page_count', 'render_ms', 'error_message', 'files_purged_at', 'created_at', 'created_by', 'created_by_key_id',
        'completed_at',
      ],
      run: (tx, contactId) => eraseFromBatches(tx, contactId, outboxDir),
    },
  };
}

async function eraseFromBatches(tx: EntityManager, contactId: string, outboxDir: string): Promise<number> {
  const rows: Array<{ id: string; pdf_path: string | null; csv_path: string | null; had_letter: boolean }> = await tx.query(
    `WITH lettered AS (SELECT DISTINCT m.batch_id FROM messages m WHERE m.contact_id = $1::uuid AND m.channel = 'mail' AND m.batch_id IS NOT NULL)
     UPDATE direct_mail_batches b
        SET skipped = COALESCE((SELECT jsonb_agg(CASE WHEN e->>'contactId' = $1::text THEN jsonb_set(e, '{contactId}', 'null'::jsonb) ELSE e END
                                                 ORDER BY x.ord)
                                  FROM jsonb_array_elements(b.skipped) WITH ORDINALITY AS x(e, ord)), '[]'::jsonb),
            files_purged_at = CASE WHEN b.id IN (SELECT batch_id FROM lettered) THEN COALESCE(b.files_purged_at, now()) ELSE b.files_purged_at END
      WHERE b.id IN (SELECT batch_id FROM lettered) OR b.skipped @> jsonb_build_array(jsonb_build_object('contactId', $1::text))
      RETURNING b.id, b.pdf_path, b.csv_path, b.id IN (SELECT batch_id FROM lettered) AS had_letter`,
    [contactId],
  );
  const updated = Array.isArray(rows[0]) ? (rows[0] as unknown as typeof rows) : rows;
  for (const row of updated) {
    if (!row.had_letter) continue;
    for (const path of [row.csv_path, row.pdf_path]) {
      if (path) await rm(resolve(outboxDir, path), { force: true });
    }
    const folder = row.pdf_path ?? row.csv_path;
    if (folder) await rm(resolve(outboxDir, dirname(folder)), { recursive: true, force: true });
  }
  return updated.length;
}
