import { HttpStatus, Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, ReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor, SYSTEM_ACTOR } from '../../auth/actor';
import { ApiError, ErrorDetail } from '../../common/errors/api-error';
import { AppConfig } from '../../config/app-config';
import { canonicalLocale } from '../../contacts/contact-validators';
import { defaultLetterBody } from './default-letter-body';
import {
  DirectMailBatchRecord,
  DirectMailBatchRequest,
  LETTER_BODY_RENDERER,
  LetterBodyRenderer,
  LetterRecipient,
  MAIL_PIECE_KINDS,
  PRINT_FORMATS,
  SkippedContact,
} from './direct-mail.types';
import { DirectMailRepository, MailContact, NewBatch } from './direct-mail.repository';
import { MAX_LETTERS_PER_BATCH } from './dto/create-direct-mail-batch.dto';
import { envelopeName, formatPostalAddress, missingAddressFields, oneLineAddress } from './postal-address';
import { CSV_FILE, DirectMailExporter, PDF_FILE, PrintExportError, PrintLetter } from './print/direct-mail-exporter';
import { PrintFonts, SYSTEM_CJK_FONTS } from './print/print-fonts';
import { agesOn } from './recipient-age';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Renderers may query the database per recipient; a few at a time keeps the pool free for others. */
const RENDER_CONCURRENCY = 8;

export interface BatchFileView {
  url: string;
  sha256: string;
  bytes: number;
}

export type DirectMailBatchView = Omit<DirectMailBatchRecord, 'csv' | 'pdf'> & {
  files: { csv: BatchFileView & { rows: number }; pdf: BatchFileView & { pages: number } } | null;
};

export interface BatchDownload {
  stream: ReadStream;
  bytes: number;
  sha256: string;
  contentType: string;
  filename: string;
}

interface Candidate {
  contact: MailContact;
  recipient: LetterRecipient;
}

/**
 * Direct mail as print-house batches: picks the contacts a letter can reach, has the caller word
 * each letter, writes the CSV and PDF under OUTBOX_DIR/mail/<batch id>/, and records the batch and
 * one sent message per letter in one transaction. Rendering runs outside any transaction: a
 * 1,000-page PDF takes seconds and must not hold locks meanwhile.
 */
@Injectable()
export class DirectMailService implements OnModuleInit {
  private readonly logger = new Logger('DirectMail');
  private located: PrintFonts | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: DirectMailRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    @Optional() @Inject(LETTER_BODY_RENDERER) private readonly boundRenderer?: LetterBodyRenderer,
  ) {}

  onModuleInit(): void {
    // Only where the font is, not the 17 MB read: that waits for the first batch.
    const font = this.config.PRINT_CJK_FONT ?? SYSTEM_CJK_FONTS.find((c) => existsSync(c.path))?.path;
    this.logger.log(
      `Direct mail: print batches in ${join(this.config.OUTBOX_DIR, 'mail')}; ` +
        (font ? `Chinese text set in ${font}` : 'no font with Chinese glyphs found, letters needing one will fail (set PRINT_CJK_FONT)'),
    );
  }

  /** Letter text comes from `renderBody`, else the bound LETTER_BODY_RENDERER, else a built-in greeting. */
  async createBatch(request: DirectMailBatchRequest, renderBody?: LetterBodyRenderer, actor: Actor = SYSTEM_ACTOR): Promise<DirectMailBatchView> {
    const asOf = request.asOf ?? new Date();
    validate(request, asOf);
    const render = renderBody ?? this.boundRenderer ?? defaultLetterBody;
    const locale = request.locale ? (canonicalLocale(request.locale) ?? request.locale) : null;
    const postedFrom = request.postedFrom?.toUpperCase() ?? this.config.DEFAULT_PHONE_REGION ?? null;
    const batch: NewBatch = {
      id: randomUUID(),
      format: request.format,
      kind: request.kind,
      campaignId: request.campaignId ?? null,
      occasionKey: request.occasionKey ?? null,
      templateKey: request.templateKey ?? null,
      locale,
      postedFrom,
      asOf,
      requestedCount: request.contactIds.length,
      createdBy: actor.label,
      createdByKeyId: actor.keyId,
    };
    const contacts = new Map((await this.repository.contacts(request.contactIds)).map((c) => [c.id, c]));
    const skipped: SkippedContact[] = [];
    const candidates: Candidate[] = [];
    for (const contactId of request.contactIds) {
      const contact = contacts.get(contactId.toLowerCase());
      const reason = contact ? whyNot(contact, request, asOf) : 'not_found';
      if (reason || !contact) skipped.push({ contactId, reason: reason ?? 'not_found' });
      else candidates.push({ contact, recipient: toRecipient(contact, request, asOf, locale, postedFrom) });
    }
    // A visible 'rendering' row from here on: a crash while printing leaves a trace, not nothing.
    await this.repository.insertRendering(batch);
    try {
      await this.print(batch, candidates, render, skipped, actor);
    } catch (error) {
      // complete() only moves a batch still 'rendering', so an outcome already recorded stands.
      await this.finish(batch, actor, { status: 'failed', letterCount: 0, skipped, errorMessage: error instanceof Error ? error.message : String(error) }).catch(
        (e: unknown) => this.logger.error(`Direct-mail batch ${batch.id} could not be marked failed: ${String(e)}`),
      );
      if (error instanceof PrintExportError) throw toApiError(error, request.contactIds);
      throw error;
    }
    return this.get(batch.id);
  }

  private async print(
    batch: NewBatch,
    candidates: Candidate[],
    render: LetterBodyRenderer,
    skipped: SkippedContact[],
    actor: Actor,
  ): Promise<void> {
    const letters = await this.renderLetters(candidates, render, skipped);
    if (letters.length === 0) {
      await this.finish(batch, actor, { status: 'empty', letterCount: 0, skipped });
      return;
    }
    const directory = join(this.config.OUTBOX_DIR, 'mail', batch.id);
    const result = await new DirectMailExporter(this.fonts()).export({ batchId: batch.id, format: batch.format, kind: batch.kind, letters, directory });
    const relativePath = (file: string) => relative(resolve(this.config.OUTBOX_DIR), resolve(file)).split('\\').join('/');
    try {
      await this.db.transaction(async (tx) => {
        await this.repository.complete(tx, batch.id, {
          status: 'ready',
          letterCount: letters.length,
          skipped,
          csv: { path: relativePath(result.csv.path), sha256: result.csv.sha256, bytes: result.csv.bytes },
          pdf: { path: relativePath(result.pdf.path), sha256: result.pdf.sha256, bytes: result.pdf.bytes, pages: result.pdf.pages },
          renderMs: Math.round(result.pdfMs),
        });
        await this.repository.insertLetters(
          tx,
          batch,
          letters.map((l) => ({ contactId: l.contactId, recipient: oneLineAddress(l.addressLines), locale: l.locale, letterNumber: l.letterNumber })),
        );
        await this.audit.record(tx, actor, 'direct_mail.batch.create', 'direct_mail_batch', batch.id, auditChanges(batch, 'ready', letters.length, skipped));
      });
    } catch (error) {
      // Files without a record would be letters nobody knows were printed.
      await rm(directory, { recursive: true, force: true });
      throw error;
    }
    this.logger.log(
      `Direct-mail batch ${batch.id}: ${letters.length} ${batch.kind} pages (${batch.format}) in ${Math.round(result.pdfMs)} ms, ${skipped.length} skipped`,
    );
  }

  async get(id: string): Promise<DirectMailBatchView> {
    const record = await this.repository.find(id);
    if (!record) throw ApiError.notFound('Direct-mail batch', id);
    return toView(record);
  }

  /** Without the skip lists (up to one entry per requested contact each): GET /:id has them. */
  async list(limit: number, cursor?: string): Promise<{ items: Array<Omit<DirectMailBatchView, 'skipped'>>; nextCursor: string | null }> {
    const page = await this.repository.list(limit, cursor);
    return { items: page.items.map((record) => omitSkipped(toView(record))), nextCursor: page.nextCursor };
  }

  /** A batch file as a stream, with what the response headers need. */
  async download(id: string, which: 'csv' | 'pdf'): Promise<BatchDownload> {
    const record = await this.repository.find(id);
    if (!record) throw ApiError.notFound('Direct-mail batch', id);
    const file = record[which];
    if (record.filesPurgedAt) {
      throw new ApiError(HttpStatus.GONE, 'BATCH_FILES_PURGED', `The files of batch ${id} were deleted when a recipient's data was erased.`);
    }
    if (record.status !== 'ready' || !file) {
      throw new ApiError(HttpStatus.CONFLICT, 'BATCH_HAS_NO_FILES', `Batch ${id} is ${record.status} and has no files to download.`);
    }
    const outbox = resolve(this.config.OUTBOX_DIR);
    const path = resolve(outbox, file.path);
    const inside = relative(outbox, path);
    if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`batch ${id} records a path outside OUTBOX_DIR`);
    const size = await stat(path).then((s) => s.size, () => null);
    if (size === null) throw new ApiError(HttpStatus.GONE, 'BATCH_FILES_GONE', `The ${which.toUpperCase()} of batch ${id} is no longer on disk.`);
    return {
      stream: createReadStream(path),
      bytes: size,
      sha256: file.sha256,
      contentType: which === 'csv' ? 'text/csv; charset=utf-8' : 'application/pdf',
      filename: `direct-mail-${id}-${which === 'csv' ? CSV_FILE : PDF_FILE}`,
    };
  }

  private fonts(): PrintFonts {
    if (!this.located) {
      this.located = PrintFonts.locate(this.config.PRINT_CJK_FONT);
      this.logger.log(`Direct mail ${this.located.describe()}`);
    }
    return this.located;
  }

  /** Words every letter; a renderer failing for one person skips that person, not the batch. */
  private async renderLetters(candidates: Candidate[], render: LetterBodyRenderer, skipped: SkippedContact[]): Promise<PrintLetter[]> {
    const bodies: Array<string | null> = new Array(candidates.length).fill(null);
    for (let start = 0; start < candidates.length; start += RENDER_CONCURRENCY) {
      const chunk = candidates.slice(start, start + RENDER_CONCURRENCY);
      await Promise.all(
        chunk.map(async ({ recipient }, i) => {
          try {
            const body = await render(recipient);
            if (typeof body !== 'string') throw new Error('the renderer returned no text');
            bodies[start + i] = body.replace(/\r\n?/g, '\n').trim();
          } catch (error) {
            skipped.push({ contactId: recipient.contactId, reason: `render_failed: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}` });
          }
        }),
      );
    }
    const letters: PrintLetter[] = [];
    candidates.forEach(({ contact, recipient }, i) => {
      const body = bodies[i];
      if (body === null) return;
      const address = recipient.address;
      letters.push({
        letterNumber: letters.length + 1,
        contactId: contact.id,
        locale: recipient.locale,
        recipientName: recipient.displayName,
        formOfAddress: recipient.formOfAddress,
        addressLines: recipient.addressLines,
        postcode: address.postcode?.trim() || null,
        city: address.city?.trim() || null,
        region: address.state?.trim() || null,
        country: address.country.toUpperCase(),
        age: recipient.age,
        newAge: recipient.newAge,
        body,
      });
    });
    return letters;
  }

  private async finish(batch: NewBatch, actor: Actor, outcome: Parameters<DirectMailRepository['complete']>[2]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.repository.complete(tx, batch.id, outcome);
      await this.audit.record(tx, actor, 'direct_mail.batch.create', 'direct_mail_batch', batch.id, auditChanges(batch, outcome.status, outcome.letterCount, outcome.skipped));
    });
  }
}

/** The same rules as the DTO, for callers inside the service (campaigns, the CLI). */
function validate(request: DirectMailBatchRequest, asOf: Date): void {
  const problems: ErrorDetail[] = [];
  if (!Array.isArray(request.contactIds) || request.contactIds.length === 0) problems.push({ field: 'contactIds', problem: 'contactIds must name at least one contact' });
  else {
    if (request.contactIds.length > MAX_LETTERS_PER_BATCH) problems.push({ field: 'contactIds', problem: `contactIds must name at most ${MAX_LETTERS_PER_BATCH} contacts` });
    const bad = request.contactIds.findIndex((id) => typeof id !== 'string' || !UUID.test(id));
    if (bad >= 0) problems.push({ field: `contactIds[${bad}]`, problem: 'each of contactIds must be a UUID' });
    if (new Set(request.contactIds.map((id) => String(id).toLowerCase())).size !== request.contactIds.length) {
      problems.push({ field: 'contactIds', problem: 'contactIds must not repeat a contact' });
    }
  }
  if (!(PRINT_FORMATS as readonly string[]).includes(request.format)) problems.push({ field: 'format', problem: `format must be one of ${PRINT_FORMATS.join(', ')}` });
  if (!(MAIL_PIECE_KINDS as readonly string[]).includes(request.kind)) problems.push({ field: 'kind', problem: `kind must be one of ${MAIL_PIECE_KINDS.join(', ')}` });
  if (request.postedFrom !== undefined && !/^[A-Za-z]{2}$/.test(request.postedFrom)) problems.push({ field: 'postedFrom', problem: 'postedFrom must be an ISO 3166-1 alpha-2 country code' });
  if (Number.isNaN(asOf.getTime())) problems.push({ field: 'asOf', problem: 'asOf must be a valid date' });
  if (problems.length > 0) throw ApiError.validation(problems);
}

function whyNot(contact: MailContact, request: DirectMailBatchRequest, asOf: Date): SkippedContact['reason'] | null {
  if (contact.erasedAt) return 'erased';
  if (contact.deletedAt) return 'deleted';
  if (!contact.address || typeof contact.address !== 'object') return 'no_address';
  const missing = missingAddressFields(contact.address);
  if (missing.length > 0) return `incomplete_address: ${missing.join(', ')}`;
  if (request.kind === 'birthday-card' && !agesOn(contact.birthday, asOf, contact.timeZone)) return 'no_birthday';
  return null;
}

function toRecipient(contact: MailContact, request: DirectMailBatchRequest, asOf: Date, locale: string | null, postedFrom: string | null): LetterRecipient {
  const address = contact.address as NonNullable<MailContact['address']>;
  const displayName = envelopeName(contact.givenName, contact.familyName) || contact.formOfAddress || '';
  const ages = agesOn(contact.birthday, asOf, contact.timeZone);
  return {
    contactId: contact.id,
    kind: request.kind,
    templateKey: request.templateKey ?? null,
    locale: locale ?? contact.locale ?? 'en',
    givenName: contact.givenName,
    familyName: contact.familyName,
    formOfAddress: contact.formOfAddress,
    displayName,
    birthday: contact.birthday,
    age: ages?.age ?? null,
    newAge: ages?.newAge ?? null,
    address,
    addressLines: formatPostalAddress(displayName, address, { postedFrom }),
    attributes: contact.attributes ?? {},
  };
}

/** 422: the request is fine but these letters cannot be printed; details name the contacts by their place in the request. */
function toApiError(error: PrintExportError, contactIds: string[]): ApiError {
  const index = new Map(contactIds.map((id, i) => [id.toLowerCase(), i]));
  const details = error.problems.map((p) => ({ field: `contactIds[${index.get(p.contactId) ?? '?'}]`, problem: p.problem }));
  return new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, error.code, error.message, details);
}

function auditChanges(batch: NewBatch, status: string, letters: number, skipped: SkippedContact[]): Record<string, unknown> {
  return { status, format: batch.format, kind: batch.kind, requested: batch.requestedCount, letters, skipped: skipped.length };
}

function omitSkipped({ skipped: _skipped, ...rest }: DirectMailBatchView): Omit<DirectMailBatchView, 'skipped'> {
  return rest;
}

function toView(record: DirectMailBatchRecord): DirectMailBatchView {
  const { csv, pdf, ...rest } = record;
  const base = `/direct-mail/batches/${record.id}`;
  return {
    ...rest,
    files:
      csv && pdf
        ? {
            csv: { url: `${base}/${CSV_FILE}`, sha256: csv.sha256, bytes: csv.bytes, rows: record.letterCount },
            pdf: { url: `${base}/${PDF_FILE}`, sha256: pdf.sha256, bytes: pdf.bytes, pages: pdf.pages },
          }
        : null,
  };
}
