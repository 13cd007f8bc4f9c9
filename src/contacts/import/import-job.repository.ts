import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PersonalDataRegistry } from '../../privacy/personal-data.registry';
import { ImportFormat, ImportJob, ImportRowError } from './import-job.entity';
import { RowCounts } from './import-batch.planner';

/** How long a process may go silent before another one takes its job over. */
export const LEASE_SECONDS = 60;

export interface NewImportJob {
  id: string;
  format: ImportFormat;
  filePath: string;
  sourceName: string | null;
  totalBytes: number;
  createdBy: string;
  createdByKeyId: string | null;
  leaseOwner: string;
}

const UNFINISHED = `status IN ('queued', 'running')`;
const LEASE_FREE = `(lease_expires_at IS NULL OR lease_expires_at < now())`;

/** Job state: creation, leases, checkpoints and the end of a job. */
@Injectable()
export class ImportJobRepository {
  constructor(@InjectDataSource() private readonly db: DataSource, registry: PersonalDataRegistry) {
    // Which line of a running job wrote a contact: bookkeeping that means nothing once the person is gone.
    registry.declare({ table: 'import_job_contacts', erasure: { rule: 'delete' } });
  }

  /** The new job is leased to its creator at once, so no other instance starts it first. */
  async create(job: NewImportJob): Promise<ImportJob> {
    await this.db.query(
      `INSERT INTO import_jobs (id, status, format, source_name, file_path, total_bytes, created_by, created_by_key_id, lease_owner, lease_expires_at)
       VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))`,
      [job.id, job.format, job.sourceName, job.filePath, job.totalBytes, job.createdBy, job.createdByKeyId, job.leaseOwner, LEASE_SECONDS],
    );
    return (await this.find(job.id))!;
  }

  find(id: string): Promise<ImportJob | null> {
    return this.db.getRepository(ImportJob).findOneBy({ id });
  }

  /** Takes a job this process holds, or one whose holder went silent, and marks it running. */
  async claim(id: string, owner: string): Promise<ImportJob | null> {
    const [, affected] = (await this.db.query(
      `UPDATE import_jobs SET status = 'running', started_at = COALESCE(started_at, now()),
              lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3)
        WHERE id = $1 AND ${UNFINISHED} AND (lease_owner = $2 OR ${LEASE_FREE})`,
      [id, owner, LEASE_SECONDS],
    )) as [unknown, number];
    return affected === 1 ? this.find(id) : null;
  }

  /** The oldest unfinished job nobody holds: left behind by a process that stopped. */
  async claimAbandoned(owner: string): Promise<ImportJob | null> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM import_jobs WHERE ${UNFINISHED} AND ${LEASE_FREE} ORDER BY created_at LIMIT 1`,
    );
    return rows.length > 0 ? this.claim(rows[0].id, owner) : null;
  }

  async extendLeases(owner: string): Promise<void> {
    await this.db.query(
      `UPDATE import_jobs SET lease_expires_at = now() + make_interval(secs => $2) WHERE lease_owner = $1 AND ${UNFINISHED}`,
      [owner, LEASE_SECONDS],
    );
  }

  /** Gives jobs back unfinished (one, or all on shutdown), so the next process to look resumes them at once. */
  async release(owner: string, id?: string): Promise<void> {
    await this.db.query(
      `UPDATE import_jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1 AND ($2::uuid IS NULL OR id = $2) AND ${UNFINISHED}`,
      [owner, id ?? null],
    );
  }

  /**
   * Records a committed batch in the same transaction as its rows. False when the lease was lost,
   * so the caller rolls the batch back instead of writing beside another instance.
   */
  async checkpoint(tx: EntityManager, id: string, owner: string, at: { lastLine: number; bytes: number }, counts: RowCounts): Promise<boolean> {
    const [, affected] = (await tx.query(
      `UPDATE import_jobs
          SET checkpoint_line = $3, processed_bytes = GREATEST(processed_bytes, $4),
              rows_seen = rows_seen + $5, rows_created = rows_created + $6, rows_updated = rows_updated + $7,
              rows_unchanged = rows_unchanged + $8, rows_failed = rows_failed + $9,
              lease_expires_at = now() + make_interval(secs => $10)
        WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [id, owner, at.lastLine, at.bytes, counts.seen, counts.created, counts.updated, counts.unchanged, counts.failed, LEASE_SECONDS],
    )) as [unknown, number];
    return affected === 1;
  }

  /** Ends the job; its record of written contacts is dropped because a finished job is never resumed. */
  async finish(tx: EntityManager, id: string, owner: string, outcome: { status: 'completed' | 'failed'; failure?: string }): Promise<ImportJob | null> {
    const [, affected] = (await tx.query(
      `UPDATE import_jobs
          SET status = $3, failure = $4, finished_at = now(), lease_owner = NULL, lease_expires_at = NULL,
              processed_bytes = CASE WHEN $3 = 'completed' THEN total_bytes ELSE processed_bytes END
        WHERE id = $1 AND lease_owner = $2 AND ${UNFINISHED}`,
      [id, owner, outcome.status, outcome.failure ?? null],
    )) as [unknown, number];
    if (affected !== 1) return null;
    await tx.query(`DELETE FROM import_job_contacts WHERE job_id = $1`, [id]);
    return tx.getRepository(ImportJob).findOneBy({ id });
  }

  /** Row errors in file order, a page at a time; the cursor is the last (line, field) seen. */
  async listErrors(jobId: string, after: { line: number; field: string } | null, limit: number): Promise<ImportRowError[]> {
    const qb = this.db.getRepository(ImportRowError).createQueryBuilder('e').where('e.job_id = :jobId', { jobId });
    if (after) qb.andWhere('(e.line, e.field) > (:line, :field)', after);
    return qb.orderBy('e.line', 'ASC').addOrderBy('e.field', 'ASC').limit(limit).getMany();
  }
}
