import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform, TransformCallback } from 'node:stream';
import { ErrorDetail } from '../../common/errors/api-error';
import { csvRowToInput, resolveCsvHeader } from './csv-columns';
import { ImportFormat } from './import-job.entity';

/** Longest row accepted, like the API's JSON body limit; keeps one bad row from filling memory. */
export const MAX_ROW_BYTES = 1024 * 1024;

/** One data row of the file, read but not yet validated. */
export interface SourceRow {
  /** Physical line where the row starts (the CSV header is line 1). */
  line: number;
  /** Physical line where it ends: the checkpoint once the row is committed. */
  lastLine: number;
  /** Bytes of the file read up to the end of this row. */
  bytes: number;
  /** The row in the API's contact shape; absent when the row could not be read as a record. */
  value?: Record<string, unknown>;
  problems: ErrorDetail[];
}

/** The file as a whole cannot be imported; the message names no value from it. */
export class ImportFileError extends Error {
  constructor(
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

/**
 * Streams the rows of an import file, skipping those on or before `afterLine` (a resumed job).
 * Memory holds one row at a time plus the stream buffers, whatever the file size.
 */
export function readContactRows(path: string, format: ImportFormat, afterLine = 0): AsyncGenerator<SourceRow> {
  return format === 'csv' ? readCsvRows(path, afterLine) : readJsonLines(path, afterLine);
}

/** Checks the header before a job is created, so a wrong file is refused while the caller waits. */
export async function checkCsvHeader(path: string): Promise<void> {
  for await (const _row of readCsvRows(path, 0, true)) break;
}

const CSV_PROBLEMS: Record<string, string> = {
  CSV_MAX_RECORD_SIZE: `a row is longer than ${MAX_ROW_BYTES} bytes`,
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by something other than a delimiter',
};

async function* readCsvRows(path: string, afterLine: number, headerOnly = false): AsyncGenerator<SourceRow> {
  const file = createReadStream(path);
  const parser = parse({ info: true, bom: true, relax_column_count: true, relax_quotes: true, max_record_size: MAX_ROW_BYTES });
  file.on('error', (error) => parser.destroy(error));
  file.pipe(parser);
  let columns: ReturnType<typeof resolveCsvHeader>['columns'] | undefined;
  let previousLastLine = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; bytes: number } }>) {
      const line = previousLastLine + 1;
      previousLastLine = info.lines;
      if (!columns) {
        const header = resolveCsvHeader(record);
        if (header.problems.length > 0) {
          const names = header.problems.map((p) => p.field).join(', ');
          throw new ImportFileError(`The CSV header has columns that cannot be imported: ${names}`, header.problems);
        }
        columns = header.columns;
        if (headerOnly) return;
        continue;
      }
      // Blank lines are layout, not rows.
      if (line <= afterLine || record.every((cell) => cell.trim() === '')) continue;
      const { value, problems } = csvRowToInput(columns, record);
      yield { line, lastLine: info.lines, bytes: info.bytes, value, problems };
    }
  } catch (error) {
    throw asFileError(error);
  } finally {
    file.destroy();
    parser.destroy();
  }
  if (!columns) throw new ImportFileError('The file is empty: a CSV import needs a header row.');
}

async function* readJsonLines(path: string, afterLine: number): AsyncGenerator<SourceRow> {
  const file = createReadStream(path);
  const guard = new LineLengthGuard(MAX_ROW_BYTES);
  file.on('error', (error) => guard.destroy(error));
  const lines = createInterface({ input: file.pipe(guard), crlfDelay: Infinity });
  let line = 0;
  let bytes = 0;
  try {
    for await (const text of lines) {
      line++;
      bytes += Buffer.byteLength(text) + 1;
      const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
      if (line <= afterLine || trimmed === '') continue;
      yield { line, lastLine: line, bytes, ...parseJsonRow(trimmed) };
    }
  } catch (error) {
    throw asFileError(error);
  } finally {
    lines.close();
    file.destroy();
  }
}

function parseJsonRow(text: string): { value?: Record<string, unknown>; problems: ErrorDetail[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Also catches a RangeError from absurdly deep nesting.
    return { problems: [{ field: 'row', problem: 'the line is not valid JSON' }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problems: [{ field: 'row', problem: 'each line must be a JSON object' }] };
  }
  return { value: value as Record<string, unknown>, problems: [] };
}

function asFileError(error: unknown): Error {
  if (error instanceof ImportFileError) return error;
  const { code, lines } = (error ?? {}) as { code?: string; lines?: number };
  if (code === 'ENOENT') return new ImportFileError('The import file is no longer available.');
  if (code && code.startsWith('CSV_')) {
    return new ImportFileError(`The CSV cannot be read at line ${lines ?? '?'}: ${CSV_PROBLEMS[code] ?? code}.`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** readline keeps a whole line in memory; this stops a file that has no line breaks at all. */
class LineLengthGuard extends Transform {
  private current = 0;
  private line = 1;

  constructor(private readonly max: number) {
    super();
  }

  _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (this.current + nl - start > this.max) return done(this.tooLong());
      this.current = 0;
      this.line++;
      start = nl + 1;
    }
    this.current += chunk.length - start;
    if (this.current > this.max) return done(this.tooLong());
    done(null, chunk);
  }

  private tooLong(): ImportFileError {
    return new ImportFileError(`The file cannot be read at line ${this.line}: a line is longer than ${this.max} bytes.`);
  }
}
