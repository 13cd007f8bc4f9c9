import { ImportJob, ImportRowError } from './import-job.entity';

/** What GET /contacts/imports/:id shows: progress and counts, never the file's path or content. */
export interface ImportJobView {
  id: string;
  status: ImportJob['status'];
  format: ImportJob['format'];
  sourceName: string | null;
  failure: string | null;
  bytes: { processed: number; total: number };
  rows: { seen: number; created: number; updated: number; unchanged: number; failed: number };
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  statusUrl: string;
  errorsUrl: string;
}

export type RowErrorView = Pick<ImportRowError, 'line' | 'field' | 'problem'>;

export function toJobView(job: ImportJob): ImportJobView {
  return {
    id: job.id,
    status: job.status,
    format: job.format,
    sourceName: job.sourceName,
    failure: job.failure,
    bytes: { processed: job.processedBytes, total: job.totalBytes },
    rows: { seen: job.rowsSeen, created: job.rowsCreated, updated: job.rowsUpdated, unchanged: job.rowsUnchanged, failed: job.rowsFailed },
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    statusUrl: `/contacts/imports/${job.id}`,
    errorsUrl: `/contacts/imports/${job.id}/errors`,
  };
}
