import { stringify } from 'csv-stringify';
import PDFDocument from 'pdfkit';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MailPieceKind, PrintFormat } from '../direct-mail.types';
import { drawPage, LayoutError, PAGE_SIZES, PrintText } from './page-layout';
import { PrintFonts } from './print-fonts';

/** One letter or card as it goes to the printer: already addressed and worded. */
export interface PrintLetter {
  /** 1-based: the page and the CSV row. */
  letterNumber: number;
  contactId: string;
  locale: string;
  recipientName: string;
  formOfAddress: string | null;
  /** The envelope block, name included where the country puts it. */
  addressLines: string[];
  postcode: string | null;
  city: string | null;
  region: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string;
  age: number | null;
  newAge: number | null;
  body: string;
}

export interface ExportJob {
  batchId: string;
  format: PrintFormat;
  kind: MailPieceKind;
  letters: PrintLetter[];
  /** Created if missing; receives letters.csv and letters.pdf. */
  directory: string;
}

export interface WrittenFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface ExportResult {
  csv: WrittenFile & { rows: number };
  pdf: WrittenFile & { pages: number };
  /** Time spent drawing and writing the PDF. */
  pdfMs: number;
}

export interface ExportProblem {
  letterNumber: number;
  contactId: string;
  problem: string;
}

/** The batch cannot be printed as asked; nothing was left on disk. */
export class PrintExportError extends Error {
  constructor(
    readonly code: 'PRINT_FONT_MISSING' | 'PRINT_LAYOUT',
    message: string,
    readonly problems: ExportProblem[],
  ) {
    super(message);
  }
}

export const CSV_FILE = 'letters.csv';
export const PDF_FILE = 'letters.pdf';

/**
 * Writes a print-house batch: a CSV for the mail merge and address labels (UTF-8 with a BOM, so
 * Excel opens Chinese names correctly) and a PDF with exactly one letter or card per page. Both
 * are streamed to `.part` files and renamed when complete, so a watcher never picks up half a
 * batch; each file's SHA-256 is computed from the bytes as they are written. No database here.
 */
export class DirectMailExporter {
  constructor(private readonly fonts: PrintFonts) {}

  async export(job: ExportJob): Promise<ExportResult> {
    const texts = this.assignFonts(job.letters);
    await mkdir(job.directory, { recursive: true });
    const csvPath = join(job.directory, CSV_FILE);
    const pdfPath = join(job.directory, PDF_FILE);
    try {
      const csv = await this.writeCsv(job, csvPath + '.part');
      const started = process.hrtime.bigint();
      const pdf = await this.writePdf(job, texts, pdfPath + '.part');
      const pdfMs = Number(process.hrtime.bigint() - started) / 1e6;
      await rename(csvPath + '.part', csvPath);
      await rename(pdfPath + '.part', pdfPath);
      return { csv: { ...csv, path: csvPath, rows: job.letters.length }, pdf: { ...pdf, path: pdfPath, pages: job.letters.length }, pdfMs };
    } catch (error) {
      await rm(job.directory, { recursive: true, force: true });
      if (error instanceof LayoutError) {
        const letter = job.letters.find((l) => l.letterNumber === error.letterNumber);
        throw new PrintExportError('PRINT_LAYOUT', error.message, letter ? [{ letterNumber: letter.letterNumber, contactId: letter.contactId, problem: error.message }] : []);
      }
      throw error;
    }
  }

  /** Every text of every letter with a font that has its glyphs; all gaps reported at once. */
  private assignFonts(letters: PrintLetter[]): Array<{ addressLines: PrintText[]; body: PrintText }> {
    const problems: ExportProblem[] = [];
    const missingAll = new Set<string>();
    const assigned = letters.map((letter) => {
      const piece = (text: string): PrintText => {
        const choice = this.fonts.choose(text);
        if (choice.ok) return { text, font: choice.font };
        choice.missing.forEach((ch) => missingAll.add(ch));
        problems.push({ letterNumber: letter.letterNumber, contactId: letter.contactId, problem: `no available font has ${choice.missing.join(' ')}` });
        return { text, font: 'Helvetica' };
      };
      return { addressLines: letter.addressLines.map(piece), body: piece(letter.body) };
    });
    if (problems.length > 0) {
      const letterList = problems.slice(0, 10).map((p) => p.letterNumber).join(', ') + (problems.length > 10 ? ', …' : '');
      const setup = this.fonts.problems.length > 0 ? ` (${this.fonts.problems.join('; ')})` : '';
      throw new PrintExportError(
        'PRINT_FONT_MISSING',
        `No font can print ${[...missingAll].slice(0, 20).join(' ')} in letters ${letterList}${setup}. ` +
          'Set PRINT_CJK_FONT to a TrueType/OpenType font with these glyphs (Debian: fonts-wqy-zenhei).',
        dedupeByLetter(problems),
      );
    }
    return assigned;
  }

  private async writeCsv(job: ExportJob, path: string): Promise<Omit<WrittenFile, 'path'>> {
    const lineCount = Math.max(1, ...job.letters.map((l) => l.addressLines.length));
    const addressColumns = Array.from({ length: lineCount }, (_, i) => `address_line_${i + 1}`);
    const columns = [
      'letter_number', 'contact_id', 'locale', 'recipient_name', 'form_of_address', ...addressColumns, 'address_block',
      'postcode', 'city', 'region', 'country', 'age', 'new_age', 'candles', 'body',
    ];
    const rows = job.letters.map((l) => [
      l.letterNumber, l.contactId, l.locale, cell(l.recipientName), cell(l.formOfAddress),
      ...addressColumns.map((_, i) => cell(l.addressLines[i] ?? null)), cell(l.addressLines.join('\n')),
      cell(l.postcode), cell(l.city), cell(l.region), l.country, l.age ?? '', l.newAge ?? '',
      job.kind === 'birthday-card' ? (l.newAge ?? '') : '', cell(l.body),
    ]);
    const csv = stringify({ bom: true, header: true, columns, record_delimiter: 'windows' });
    return writeHashed(Readable.from(rows).pipe(csv), path);
  }

  private async writePdf(job: ExportJob, texts: Array<{ addressLines: PrintText[]; body: PrintText }>, path: string): Promise<Omit<WrittenFile, 'path'>> {
    const size = PAGE_SIZES[job.format];
    const doc = new PDFDocument({
      size: size.pdfkitSize,
      margin: 0,
      autoFirstPage: false,
      info: { Title: `Tidings direct mail ${job.batchId}`, Subject: `${job.letters.length} × ${job.kind} (${job.format})` },
    });
    for (const font of this.fonts.unicodeFonts) doc.registerFont(font.key, font.buffer, font.collectionMember);
    const out = createWriteStream(path);
    const written = writeHashed(doc, path, out);
    // A write error surfaces through `once(out, 'drain')` or the final await; not as an unhandled rejection meanwhile.
    written.catch(() => undefined);
    const reference = job.batchId.slice(0, 8);
    try {
      for (let i = 0; i < job.letters.length; i++) {
        const letter = job.letters[i];
        doc.addPage({ size: size.pdfkitSize, margin: 0 });
        drawPage(doc, {
          kind: job.kind,
          format: job.format,
          letterNumber: letter.letterNumber,
          reference: `batch ${reference} · letter ${letter.letterNumber}`,
          addressLines: texts[i].addressLines,
          body: texts[i].body,
          candles: job.kind === 'birthday-card' ? (letter.newAge ?? 0) : null,
        });
        // pdfkit pushes each finished page into the stream at once; waiting for the file to
        // take it keeps memory at a few pages however long the batch is.
        if (out.writableNeedDrain) await once(out, 'drain');
        else if (i % 25 === 24) await nextTurn();
      }
    } catch (error) {
      doc.end();
      await written.catch(() => undefined);
      throw error;
    }
    doc.end();
    return written;
  }
}

/** Pipes `source` to `path` (or the given stream), hashing the bytes on their way. */
async function writeHashed(source: NodeJS.ReadableStream, path: string, out = createWriteStream(path)): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  source.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  source.pipe(out);
  await finished(out);
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Spreadsheet formula injection: a name or street starting with = + - @ would run as a formula
 * when the print house opens the file in Excel. A leading apostrophe makes it text.
 */
function cell(value: string | null): string {
  if (value === null) return '';
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function dedupeByLetter(problems: ExportProblem[]): ExportProblem[] {
  const byLetter = new Map<number, ExportProblem>();
  for (const p of problems) {
    const seen = byLetter.get(p.letterNumber);
    byLetter.set(p.letterNumber, seen ? { ...seen, problem: `${seen.problem}; ${p.problem}` } : p);
  }
  return [...byLetter.values()];
}
