import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Actor } from '../auth/actor';
import type { ChannelKind } from '../channels/channel.types';
import { ApiError, ErrorDetail } from '../common/errors/api-error';
import { canonicalLocale } from '../contacts/contact-validators';
import { TemplateParts, TemplateValidator } from './engine/template-validator';
import { CreateTemplateDto, ListTemplatesQuery, UpdateTemplateDto } from './dto/template.dto';
import { FileSnapshot, FileTemplate, FileTemplateCatalogue } from './files/file-template-catalogue';
import { DEFAULT_VARIANT, fileTemplateId, parseFileTemplateId } from './files/template-file-names';
import { UUID_PATTERN } from './template-id.pipe';
import { partsOf, TemplatesService } from './templates.service';
import { TemplateRow, TemplatesRepository, VersionRow, VersionState } from './templates.repository';

const PART_NAMES = ['subject', 'html', 'text', 'body', 'layout'] as const;

export interface VersionView {
  version: number | null;
  state: VersionState;
  subject: string | null;
  html: string | null;
  text: string | null;
  body: string | null;
  layout: string | null;
  createdBy: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  publishedAt: Date | null;
}

export interface TemplateSummary {
  id: string;
  source: 'database' | 'file';
  /** File templates change only in the repository. */
  readOnly: boolean;
  key: string;
  channel: ChannelKind;
  locale: string;
  variant: string;
  publishedVersion: number | null;
  draftVersion: number | null;
  archivedAt: Date | null;
  /** For a file: the database template whose published version is rendered instead of it. */
  overriddenBy?: string | null;
  /** For a database template: the file it replaces while published. */
  overrides?: string | null;
  /** For a file: its path under templates/. */
  path?: string;
  description?: string | null;
}

export interface TemplateView extends TemplateSummary {
  createdBy: string | null;
  createdAt: Date | null;
  published: VersionView | null;
  draft: VersionView | null;
  /** Root names a file template's calling code supplies ({{!-- extras: … --}}). */
  declaredExtras?: string[];
}

/**
 * Editing database templates: create a draft, change it, publish it, publish an earlier version
 * again, archive. Every change is checked as strictly as a render before anything is written, and
 * audited in the same transaction. File templates are listed and shown read-only.
 */
@Injectable()
export class TemplateEditorService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: TemplatesRepository,
    private readonly files: FileTemplateCatalogue,
    private readonly validator: TemplateValidator,
    private readonly templates: TemplatesService,
    private readonly audit: AuditService,
  ) {}

  async list(query: ListTemplatesQuery): Promise<TemplateSummary[]> {
    const snapshot = await this.files.current();
    const rows = query.source === 'file' ? [] : await this.repository.list(this.db.manager, query);
    const live = new Map(rows.filter((r) => !r.archivedAt && r.publishedVersion !== null).map((r) => [coordinates(r), r.id]));
    const fileIds = new Set(snapshot.templates.keys());
    const summaries: TemplateSummary[] = rows.map((row) => ({ ...summaryOf(row), overrides: overriddenFile(row, fileIds) }));
    if (query.source !== 'database') {
      for (const file of snapshot.templates.values()) {
        if ((query.channel && file.channel !== query.channel) || (query.key && file.key !== query.key)) continue;
        summaries.push({ ...fileSummary(file), overriddenBy: live.get(coordinates(file)) ?? null });
      }
    }
    return summaries.sort((a, b) => coordinates(a).localeCompare(coordinates(b)) || a.source.localeCompare(b.source));
  }

  async get(id: string): Promise<TemplateView> {
    const file = parseFileTemplateId(id);
    if (file) return this.fileView(id, await this.files.current());
    const row = await this.findRow(this.db.manager, id);
    const versions = await this.repository.versions(this.db.manager, id);
    const snapshot = await this.files.current();
    return {
      ...summaryOf(row),
      overrides: overriddenFile(row, new Set(snapshot.templates.keys())),
      createdBy: row.createdBy,
      createdAt: row.createdAt,
      published: viewOf(versions.find((v) => v.state === 'published')),
      draft: viewOf(versions.find((v) => v.state === 'draft')),
    };
  }

  async versions(id: string): Promise<VersionView[]> {
    if (parseFileTemplateId(id)) {
      const view = await this.fileView(id, await this.files.current());
      return [view.published!];
    }
    await this.findRow(this.db.manager, id);
    return (await this.repository.versions(this.db.manager, id)).map((v) => viewOf(v)!);
  }

  async create(dto: CreateTemplateDto, actor: Actor): Promise<TemplateView> {
    const locale = canonicalLocale(dto.locale)!;
    const variant = dto.variant ?? DEFAULT_VARIANT;
    const parts = pick(dto);
    await this.assertValid(dto.channel, parts, 'nothing was saved');
    const id = await this.db.transaction(async (tx) => {
      let templateId: string;
      try {
        templateId = await this.repository.insert(tx, { key: dto.key, channel: dto.channel, locale, variant, createdBy: actor.label });
      } catch (error) {
        if (error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23505') {
          throw new ApiError(HttpStatus.CONFLICT, 'TEMPLATE_EXISTS', `A ${dto.channel} template "${dto.key}" (${locale}, ${variant}) already exists; change its draft instead.`, [
            { field: 'key', problem: 'already exists for this channel, locale and variant' },
          ]);
        }
        throw error;
      }
      await this.repository.insertDraft(tx, templateId, 1, parts, actor.label);
      await this.audit.record(tx, actor, 'template.create', 'template', templateId, { key: dto.key, channel: dto.channel, locale, variant, version: 1 });
      return templateId;
    });
    return this.get(id);
  }

  /** Changes the draft in place, or starts one (the next version number) from the published version. */
  async update(id: string, dto: UpdateTemplateDto, actor: Actor): Promise<TemplateView> {
    this.assertEditable(id);
    const changes = pick(dto);
    const changed = Object.keys(changes);
    if (changed.length === 0) throw ApiError.validation([{ field: 'body', problem: `give at least one of ${PART_NAMES.join(', ')}` }]);
    await this.db.transaction(async (tx) => {
      const row = await this.lockLive(tx, id);
      // After a rollback the newest version may be a retired one: a new draft starts from what is published.
      const base = await this.repository.version(tx, id, row.draftVersion ?? row.publishedVersion ?? row.latestVersion);
      const next: TemplateParts = { ...partsOf(base!), ...changes };
      await this.assertValid(row.channel, next, 'nothing was saved');
      if (row.draftVersion !== null) {
        await this.repository.updateDraft(tx, id, row.draftVersion, next);
      } else {
        await this.repository.insertDraft(tx, id, row.latestVersion + 1, next, actor.label);
      }
      const version = row.draftVersion ?? row.latestVersion + 1;
      await this.audit.record(tx, actor, 'template.update', 'template', id, { version, fields: changed });
    });
    return this.get(id);
  }

  async publish(id: string, actor: Actor): Promise<TemplateView> {
    this.assertEditable(id);
    await this.db.transaction(async (tx) => {
      const row = await this.lockLive(tx, id);
      if (row.draftVersion === null) {
        throw new ApiError(HttpStatus.CONFLICT, 'NO_DRAFT', `Template ${id} has no draft to publish; change it first (PATCH), or roll back to an earlier version.`);
      }
      const draft = await this.repository.version(tx, id, row.draftVersion);
      // Files (layouts, partials) may have changed since the draft was saved.
      await this.assertValid(row.channel, partsOf(draft!), 'nothing was published');
      await this.repository.publish(tx, id, row.draftVersion);
      await this.audit.record(tx, actor, 'template.publish', 'template', id, { version: row.draftVersion, previous: row.publishedVersion });
    });
    this.templates.invalidate(id);
    return this.get(id);
  }

  /** Publishes an earlier published version again; the current one is retired, a pending draft stays a draft. */
  async rollback(id: string, version: number, actor: Actor): Promise<TemplateView> {
    this.assertEditable(id);
    await this.db.transaction(async (tx) => {
      const row = await this.lockLive(tx, id);
      const target = await this.repository.version(tx, id, version);
      if (!target) {
        throw new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', `Template ${id} has no version ${version}.`, [{ field: 'version', problem: `no version ${version}` }]);
      }
      if (target.state !== 'retired') {
        const why = target.state === 'published' ? 'is already the published version' : 'was never published (publish the draft instead)';
        throw new ApiError(HttpStatus.CONFLICT, 'NOT_A_PREVIOUS_VERSION', `Version ${version} ${why}.`, [{ field: 'version', problem: why }]);
      }
      await this.assertValid(row.channel, partsOf(target), 'nothing was published');
      await this.repository.publish(tx, id, version);
      await this.audit.record(tx, actor, 'template.rollback', 'template', id, { version, previous: row.publishedVersion });
    });
    this.templates.invalidate(id);
    return this.get(id);
  }

  /** Archived templates keep their versions but are no longer rendered; the file with the same name (if any) takes over. */
  async archive(id: string, actor: Actor): Promise<void> {
    this.assertEditable(id);
    await this.db.transaction(async (tx) => {
      const row = await this.findRow(tx, id, true);
      if (row.archivedAt) return;
      await this.repository.archive(tx, id);
      await this.audit.record(tx, actor, 'template.archive', 'template', id, {});
    });
    this.templates.invalidate(id);
  }

  /** Content as preview renders it: the version asked for, else the draft, else the published one. */
  async contentForPreview(id: string, version: number | undefined): Promise<
    | { source: 'file'; file: FileTemplate; snapshot: FileSnapshot }
    | { source: 'database'; row: TemplateRow; version: VersionRow; snapshot: FileSnapshot }
  > {
    const snapshot = await this.files.current();
    if (parseFileTemplateId(id)) {
      const file = snapshot.templates.get(id);
      if (!file) throw ApiError.notFound('Template', id);
      if (version !== undefined) throw ApiError.validation([{ field: 'version', problem: 'file templates have no versions' }]);
      return { source: 'file', file, snapshot };
    }
    const row = await this.findRow(this.db.manager, id);
    const wanted = version ?? row.draftVersion ?? row.publishedVersion ?? row.latestVersion;
    const found = await this.repository.version(this.db.manager, id, wanted);
    if (!found) throw new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', `Template ${id} has no version ${wanted}.`, [{ field: 'version', problem: `no version ${wanted}` }]);
    return { source: 'database', row, version: found, snapshot };
  }

  private async assertValid(channel: ChannelKind, parts: TemplateParts, consequence: string): Promise<void> {
    const snapshot = await this.files.current();
    const { problems } = this.validator.validate(channel, parts, { layoutExists: (name) => snapshot.layouts.has(name) });
    if (problems.length > 0) throw templateInvalid(problems, consequence);
  }

  private assertEditable(id: string): void {
    if (parseFileTemplateId(id)) {
      throw new ApiError(
        HttpStatus.CONFLICT,
        'TEMPLATE_READ_ONLY',
        'File templates are changed in the repository (templates/). To override one, create a database template with the same key, channel, locale and variant and publish it.',
      );
    }
    if (!UUID_PATTERN.test(id)) throw invalidId();
  }

  private async lockLive(tx: EntityManager, id: string): Promise<TemplateRow> {
    const row = await this.findRow(tx, id, true);
    if (row.archivedAt) throw new ApiError(HttpStatus.CONFLICT, 'TEMPLATE_ARCHIVED', `Template ${id} is archived; create a new one instead.`);
    return row;
  }

  private async findRow(db: EntityManager, id: string, lock = false): Promise<TemplateRow> {
    if (!UUID_PATTERN.test(id)) throw invalidId();
    const row = await this.repository.find(db, id, lock);
    if (!row) throw ApiError.notFound('Template', id);
    return row;
  }

  private fileView(id: string, snapshot: FileSnapshot): TemplateView {
    const file = snapshot.templates.get(id);
    if (!file) throw ApiError.notFound('Template', id);
    const parts = file.parts;
    return {
      ...fileSummary(file),
      createdBy: null,
      createdAt: null,
      declaredExtras: file.declaredExtras,
      published: {
        version: null, state: 'published', subject: parts.subject ?? null, html: parts.html ?? null, text: parts.text ?? null,
        body: parts.body ?? null, layout: parts.layout ?? null, createdBy: null, createdAt: null, updatedAt: null, publishedAt: null,
      },
      draft: null,
    };
  }
}

export function templateInvalid(problems: ErrorDetail[], consequence: string): ApiError {
  return new ApiError(HttpStatus.BAD_REQUEST, 'TEMPLATE_INVALID', `The template has ${problems.length} problem(s); ${consequence}.`, problems);
}

function invalidId(): ApiError {
  return ApiError.validation([{ field: 'id', problem: 'id must be a UUID or a file template id such as file:email:birthday.en.a' }]);
}

/** Only the parts present in the request; `null` clears one. */
function pick(dto: UpdateTemplateDto): TemplateParts {
  const parts: TemplateParts = {};
  for (const name of PART_NAMES) if (dto[name] !== undefined) parts[name] = dto[name];
  return parts;
}

function coordinates(t: { channel: string; key: string; locale: string; variant: string }): string {
  return `${t.channel}|${t.key}|${t.locale}|${t.variant}`;
}

function overriddenFile(row: TemplateRow, fileIds: Set<string>): string | null {
  const id = fileTemplateId(row);
  return !row.archivedAt && row.publishedVersion !== null && fileIds.has(id) ? id : null;
}

function summaryOf(row: TemplateRow): TemplateSummary {
  return {
    id: row.id, source: 'database', readOnly: false, key: row.key, channel: row.channel, locale: row.locale, variant: row.variant,
    publishedVersion: row.publishedVersion, draftVersion: row.draftVersion, archivedAt: row.archivedAt,
  };
}

function fileSummary(file: FileTemplate): TemplateSummary {
  return {
    id: file.id, source: 'file', readOnly: true, key: file.key, channel: file.channel, locale: file.locale, variant: file.variant,
    publishedVersion: null, draftVersion: null, archivedAt: null, path: file.path, description: file.description,
  };
}

function viewOf(row: VersionRow | undefined): VersionView | null {
  if (!row) return null;
  return {
    version: row.version, state: row.state, subject: row.subject, html: row.html, text: row.text, body: row.body, layout: row.layout,
    createdBy: row.createdBy, createdAt: row.createdAt, updatedAt: row.updatedAt, publishedAt: row.publishedAt,
  };
}
