import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { IncomingMessage, ServerResponse } from 'node:http';
import { basename, extname, resolve } from 'node:path';
import { Actor } from '../../auth/actor';
import { ApiError } from '../../common/errors/api-error';
import { AppConfig } from '../../config/app-config';
import { ImportRunOptions } from './contact-import.processor';
import { ContactImportRunner } from './contact-import.runner';
import { checkCsvHeader, ImportFileError } from './contact-row.parser';
import { ImportErrorsQuery } from './dto/import-queries';
import { ImportFormat } from './import-job.entity';
import { ImportJobRepository } from './import-job.repository';
import { ImportJobView, RowErrorView, toJobView } from './import-job.view';
import { resolveUploadFormat, saveUpload, uploadPath } from './import-upload';

const FORMAT_OF_EXTENSION: Record<string, ImportFormat> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

export interface ImportOutcome {
  job: ImportJobView;
  /** The first rows left out, in file order. */
  firstErrors: RowErrorView[];
}

/** Bulk contact import: starting jobs from an upload or a local file, and reporting on them. */
@Injectable()
export class ContactImportService {
  constructor(
    private readonly jobs: ImportJobRepository,
    private readonly runner: ContactImportRunner,
    private readonly config: AppConfig,
  ) {}

  /** Stores the request body as the job's file and queues the job; the import itself runs later. */
  async startUpload(request: IncomingMessage, response: ServerResponse, requested: ImportFormat | undefined, actor: Actor): Promise<ImportJobView> {
    const format = resolveUploadFormat(request.headers, requested);
    const id = randomUUID();
    await mkdir(resolve(this.config.IMPORT_DIR), { recursive: true, mode: 0o700 });
    const path = uploadPath(this.config.IMPORT_DIR, { id, format });
    try {
      const bytes = await saveUpload(request, response, path, this.config.IMPORT_MAX_BYTES);
      const view = await this.createJob({ id, format, path, bytes, sourceName: null, actor });
      this.runner.enqueue(id);
      return view;
    } catch (error) {
      await rm(path, { force: true });
      if (error instanceof ImportFileError) throw new ApiError(HttpStatus.BAD_REQUEST, 'IMPORT_FILE_INVALID', error.message, error.details);
      throw error;
    }
  }

  /** The CLI's import: the same job, run in this process with progress, reading the file where it lies. */
  async importFile(
    file: string,
    options: ImportRunOptions & { format?: ImportFormat; actor: Actor },
  ): Promise<ImportOutcome> {
    const format = options.format ?? FORMAT_OF_EXTENSION[extname(file).toLowerCase()];
    if (!format) throw new ImportFileError('Cannot tell the format from the file name: pass --format csv or --format jsonl.');
    const path = resolve(file);
    const bytes = await stat(path).then(
      (s) => s.size,
      () => Promise.reject(new ImportFileError(`${file} cannot be read.`)),
    );
    const created = await this.createJob({ id: randomUUID(), format, path, bytes, sourceName: basename(file), actor: options.actor });
    const result = await this.runner.runNow(created.id, { onProgress: options.onProgress, signal: options.signal, batchRows: options.batchRows });
    const job = result === 'interrupted' ? await this.get(created.id) : toJobView(result);
    return { job, firstErrors: (await this.errors(created.id, { limit: 20 })).items };
  }

  async get(id: string): Promise<ImportJobView> {
    const job = await this.jobs.find(id);
    if (!job) throw ApiError.notFound('Import job', id);
    return toJobView(job);
  }

  async errors(id: string, query: Pick<ImportErrorsQuery, 'limit' | 'cursor'>): Promise<{ items: RowErrorView[]; nextCursor: string | null }> {
    if (!(await this.jobs.find(id))) throw ApiError.notFound('Import job', id);
    const rows = await this.jobs.listErrors(id, query.cursor ? decodeCursor(query.cursor) : null, query.limit + 1);
    const items = rows.slice(0, query.limit).map(({ line, field, problem }) => ({ line, field, problem }));
    const last = items[items.length - 1];
    const nextCursor = rows.length > query.limit && last ? Buffer.from(JSON.stringify([last.line, last.field])).toString('base64url') : null;
    return { items, nextCursor };
  }

  private async createJob(file: { id: string; format: ImportFormat; path: string; bytes: number; sourceName: string | null; actor: Actor }): Promise<ImportJobView> {
    if (file.bytes === 0) throw new ImportFileError('The file is empty.');
    // A wrong header is refused now, while the caller is still there to read why.
    if (file.format === 'csv') await checkCsvHeader(file.path);
    const job = await this.jobs.create({
      id: file.id,
      format: file.format,
      filePath: file.path,
      sourceName: file.sourceName,
      totalBytes: file.bytes,
      createdBy: file.actor.label,
      createdByKeyId: file.actor.keyId,
      leaseOwner: this.runner.owner,
    });
    return toJobView(job);
  }
}

function decodeCursor(value: string): { line: number; field: string } {
  try {
    const [line, field] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as [unknown, unknown];
    // Bounded like the columns they are compared with, so a forged cursor is a 400 and not a database error.
    if (Number.isInteger(line) && (line as number) >= 0 && (line as number) < 2 ** 31 && typeof field === 'string' && field.length <= 200 && !field.includes('\u0000')) {
      return { line: line as number, field };
    }
  } catch {
    // fall through to the error below
  }
  throw ApiError.validation([{ field: 'cursor', problem: 'cursor is not one this API produced' }]);
}
