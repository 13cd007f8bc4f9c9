import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DataSource, QueryFailedError } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor } from '../../auth/actor';
import { AppConfig } from '../../config/app-config';
import { ContactImportRepository } from './contact-import.repository';
import { ImportFileError, readContactRows, SourceRow } from './contact-row.parser';
import { CheckedRow, checkContactRow, mergeProblems } from './contact-row.validator';
import { ImportBatchPlanner, RowCounts } from './import-batch.planner';
import { ImportJob } from './import-job.entity';
import { ImportJobRepository } from './import-job.repository';
import { uploadPath } from './import-upload';

/**
 * Rows per transaction. Each batch costs a fixed dozen statements whatever its size, so at 1,000
 * rows their round trips and plans were a large share of an import; at 10,000 they are small, while
 * two batches in memory (one checked while the other is written) keep the CLI's peak RSS at 214 MB
 * (20,000: 256–262 MB, over the 256 MB budget, and no faster) and a resumed job re-does at most
 * one batch's work.
 */
export const BATCH_ROWS = 10_000;
/** Unique violations (a contact created through the API meanwhile) and deadlocks heal by planning the batch again. */
const RETRYABLE_SQLSTATES = new Set(['23505', '40001', '40P01']);
const ATTEMPTS = 3;
const CHECKS_PER_TURN = 50;
/** Below this the planner's guesses do not matter; ANALYZE would only cost time. */
const MIN_ROWS_TO_ANALYZE = 50_000;

export interface ImportProgress {
  processedBytes: number;
  totalBytes: number;
  rows: RowCounts;
}
export type ProgressListener = (progress: ImportProgress) => void;

export interface ImportRunOptions {
  /** Stops the job between batches; it stays running, to be resumed. */
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Rows per batch (transaction and progress report); BATCH_ROWS unless a caller needs finer steps. */
  batchRows?: number;
}

/** Another process holds the job now; this one must stop without writing. */
export class LeaseLost extends Error {}

/** A contact the batch read was changed (through the API) before the batch wrote it: plan again. */
class ConcurrentChange extends Error {}

/** Works one claimed job through its file, a batch per transaction, and ends it. */
@Injectable()
export class ContactImportProcessor {
  private readonly logger = new Logger('ContactImport');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly planner: ImportBatchPlanner,
    private readonly repository: ContactImportRepository,
    private readonly jobs: ImportJobRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Continues after the job's checkpoint. Returns the finished job, or 'interrupted' when `signal`
   * stopped it between batches (the job stays running, to be resumed), or 'lost' when another
   * process took the job over.
   */
  async process(job: ImportJob, owner: string, options: ImportRunOptions = {}): Promise<ImportJob | 'interrupted' | 'lost'> {
    const batchRows = options.batchRows ?? BATCH_ROWS;
    const progress: ImportProgress = {
      processedBytes: job.processedBytes,
      totalBytes: job.totalBytes,
      rows: { seen: job.rowsSeen, created: job.rowsCreated, updated: job.rowsUpdated, unchanged: job.rowsUnchanged, failed: job.rowsFailed },
    };
    // A batch is written while the next one is read and checked: checking is CPU in this process,
    // writing mostly waits on PostgreSQL, so the two overlap. Commits still happen in file order.
    let writing: Promise<void> | undefined;
    // Statistics are refreshed each time the job has doubled the table since they were taken.
    let analyzedAt = await this.repository.estimatedContacts(this.db.manager);
    let created = 0;
    const handOver = async (rows: SourceRow[]): Promise<boolean> => {
      const checked: CheckedRow[] = [];
      for (const row of rows) {
        checked.push(this.check(row));
        // Let the batch being written take its turns with the database meanwhile.
        if (checked.length % CHECKS_PER_TURN === 0) await new Promise(setImmediate);
      }
      await writing;
      if (options.signal?.aborted) return false;
      writing = this.commit(job, owner, rows, checked, progress).then(async (counts) => {
        created += counts.created;
        if (created > Math.max(analyzedAt, MIN_ROWS_TO_ANALYZE)) {
          created = 0;
          // Statistics only help; an import does not fail for want of them.
          await this.repository
            .analyzeContacts(this.db.manager)
            .then(async () => (analyzedAt = await this.repository.estimatedContacts(this.db.manager)))
            .catch((error: unknown) => this.logger.warn(`could not analyze contacts: ${String(error)}`));
        }
        options.onProgress?.(progress);
      });
      // Rejections surface at the next await of `writing`; until then this one is not unhandled.
      writing.catch(() => undefined);
      return true;
    };
    try {
      let batch: SourceRow[] = [];
      for await (const row of readContactRows(job.filePath, job.format, job.checkpointLine)) {
        batch.push(row);
        if (batch.length < batchRows) continue;
        if (!(await handOver(batch))) return 'interrupted';
        batch = [];
      }
      if (batch.length > 0 && !(await handOver(batch))) return 'interrupted';
      await writing;
      return await this.finish(job, owner, 'completed');
    } catch (error) {
      await writing?.catch(() => undefined);
      if (error instanceof LeaseLost) return 'lost';
      if (!(error instanceof ImportFileError)) this.logger.error(`import ${job.id} failed: ${error instanceof Error ? error.stack : String(error)}`);
      // Only our own messages reach the job: a driver's message may quote a value from the file.
      const failure = error instanceof ImportFileError ? error.message : 'The import stopped on an unexpected error; the service log has the details.';
      return this.finish(job, owner, 'failed', failure).catch((e: unknown) => (e instanceof LeaseLost ? 'lost' : Promise.reject(e)));
    }
  }

  private async commit(
    job: ImportJob,
    owner: string,
    rows: SourceRow[],
    checked: CheckedRow[],
    progress: ImportProgress,
  ): Promise<RowCounts> {
    const last = rows[rows.length - 1];
    for (let attempt = 1; ; attempt++) {
      try {
        const counts = await this.db.transaction(async (tx) => {
          await this.repository.preferIndexes(tx);
          const plan = await this.planner.plan(tx, job.id, checked);
          await this.repository.insertContacts(tx, plan.inserts);
          if (!(await this.repository.updateContacts(tx, plan.updates))) throw new ConcurrentChange();
          await this.repository.insertConsentEvents(tx, plan.consentEvents, job.createdBy);
          await this.repository.insertRowErrors(tx, job.id, plan.errors);
          await this.repository.insertJobContacts(tx, job.id, plan.jobContacts);
          if (!(await this.jobs.checkpoint(tx, job.id, owner, last, plan.counts))) throw new LeaseLost();
          return plan.counts;
        });
        for (const key of Object.keys(counts) as Array<keyof RowCounts>) progress.rows[key] += counts[key];
        progress.processedBytes = Math.max(progress.processedBytes, last.bytes);
        return counts;
      } catch (error) {
        const code = error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
        const retryable = error instanceof ConcurrentChange || (code !== undefined && RETRYABLE_SQLSTATES.has(code));
        if (attempt >= ATTEMPTS || !retryable) throw error;
      }
    }
  }

  private check(row: SourceRow): CheckedRow {
    if (!row.value) return { line: row.line, problems: row.problems };
    const checked = checkContactRow(row.line, row.value, this.config.DEFAULT_PHONE_REGION);
    if (row.problems.length === 0) return checked;
    return { line: row.line, problems: mergeProblems([...row.problems, ...(checked.problems ?? [])]) };
  }

  /** Ends the job with its one audit row (counts only), then removes the uploaded copy of the file. */
  private async finish(job: ImportJob, owner: string, status: 'completed' | 'failed', failure?: string): Promise<ImportJob> {
    const finished = await this.db.transaction(async (tx) => {
      const done = await this.jobs.finish(tx, job.id, owner, { status, failure });
      if (!done) throw new LeaseLost();
      // The audit log keeps who acted, not with which role, so the role here is never read.
      const actor: Actor = { keyId: done.createdByKeyId, label: done.createdBy, role: 'system' };
      await this.audit.record(tx, actor, 'contact.import', 'import_job', done.id, {
        status,
        format: done.format,
        rows: { seen: done.rowsSeen, created: done.rowsCreated, updated: done.rowsUpdated, unchanged: done.rowsUnchanged, failed: done.rowsFailed },
      });
      return done;
    });
    // Uploads hold personal data and serve no purpose once the job is over; a CLI user's own file is theirs.
    if (resolve(finished.filePath) === uploadPath(this.config.IMPORT_DIR, finished)) await rm(finished.filePath, { force: true });
    return finished;
  }
}
