import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ChannelKind } from '../channels/channel.types';
import { ApiError } from '../common/errors/api-error';
import { FALLBACK_LOCALE, localeCandidates } from './engine/locale-fallback';
import { MessageRenderer, RenderableTemplate } from './engine/message-renderer';
import { TemplateEngine } from './engine/template-engine';
import { TemplateParts, TemplateValidator } from './engine/template-validator';
import { FileSnapshot, FileTemplate, FileTemplateCatalogue } from './files/file-template-catalogue';
import { DEFAULT_VARIANT } from './files/template-file-names';
import type { RenderedContent, RenderRequest } from './template.types';
import { PublishedEntry, TemplatesRepository, VersionRow } from './templates.repository';

export type { RenderedContent, RenderRequest } from './template.types';

/**
 * How long this process trusts its index of published database templates. A publish here
 * refreshes it at once; another instance's publish is seen within this time.
 */
const PUBLISHED_INDEX_TTL_MS = 5000;
const MAX_CACHED_VERSIONS = 2000;

interface Candidate {
  locale: string;
  variant: string;
  file?: FileTemplate;
  published?: PublishedEntry;
}

/**
 * Renders messages from templates: files under templates/ and published database versions (a
 * published version overrides the file with the same key, channel, locale and variant). This is
 * the contract senders code against: render() and variants().
 */
@Injectable()
export class TemplatesService {
  private index: { loadedAt: number; byFamily: Map<string, PublishedEntry[]> } | null = null;
  private loading: Promise<Map<string, PublishedEntry[]>> | null = null;
  private readonly versions = new Map<string, { parts: TemplateParts; rootNames: Set<string> }>();
  private resolved: { snapshot: FileSnapshot | null; index: Map<string, PublishedEntry[]> | null; entries: Map<string, RenderableTemplate> } = {
    snapshot: null,
    index: null,
    entries: new Map(),
  };

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: TemplatesRepository,
    private readonly files: FileTemplateCatalogue,
    private readonly validator: TemplateValidator,
    private readonly renderer: MessageRenderer,
    private readonly engine: TemplateEngine,
  ) {}

  async render(req: RenderRequest): Promise<RenderedContent> {
    const context = req.context as Record<string, unknown>;
    const locale = req.locale ?? (typeof context.locale === 'string' ? context.locale : undefined);
    const template = await this.resolve(req.key, req.channel, locale, req.variant);
    return this.renderer.render(template, context, req.extra);
  }

  /**
   * The variants a rotation can choose from for this key in the locale that would be used (after
   * fallback), sorted. Empty when no such template exists (render() then answers 404).
   */
  async variants(key: string, channel: ChannelKind, locale: string): Promise<string[]> {
    const candidates = await this.candidates(key, channel);
    const chosen = localeCandidates(locale, candidates.map((c) => c.locale))[0];
    return chosen === undefined ? [] : [...new Set(candidates.filter((c) => c.locale === chosen).map((c) => c.variant))].sort();
  }

  /** Whether any locale has a template of this key on this channel (a campaign checks before it starts). */
  async exists(key: string, channel: ChannelKind): Promise<boolean> {
    return (await this.candidates(key, channel)).length > 0;
  }

  /** Forgets what this process knows about a template's published version (after publish, rollback, archive). */
  invalidate(templateId: string): void {
    this.index = null;
    this.resolved = { snapshot: null, index: null, entries: new Map() };
    for (const key of this.versions.keys()) if (key.startsWith(`db:${templateId}:`)) this.versions.delete(key);
    this.engine.forget(`db:${templateId}:`);
  }

  /** A file template, ready to render (used by preview too). */
  fromFile(snapshot: FileSnapshot, file: FileTemplate, parts: TemplateParts = file.parts, rootNames = file.rootNames): RenderableTemplate {
    return {
      cacheKey: parts === file.parts ? `file:${file.stamp}` : null,
      templateKey: file.key,
      channel: file.channel,
      locale: file.locale,
      variant: file.variant,
      version: null,
      source: 'file',
      parts,
      rootNames,
      layout: this.layoutFor(snapshot, parts.layout, file.locale),
    };
  }

  /** A database version, ready to render. `cacheKey` is null for content that may still change (a draft, an unsaved edit). */
  fromVersion(
    snapshot: FileSnapshot,
    template: { id: string; key: string; channel: ChannelKind; locale: string; variant: string },
    version: { version: number | null; parts: TemplateParts; rootNames: ReadonlySet<string> },
    cacheKey: string | null,
  ): RenderableTemplate {
    return {
      cacheKey,
      templateKey: template.key,
      channel: template.channel,
      locale: template.locale,
      variant: template.variant,
      version: version.version,
      source: 'database',
      parts: version.parts,
      rootNames: version.rootNames,
      layout: this.layoutFor(snapshot, version.parts.layout, template.locale),
    };
  }

  private layoutFor(snapshot: FileSnapshot, name: string | null | undefined, locale: string): RenderableTemplate['layout'] {
    if (!name) return null;
    const layout = this.files.layout(snapshot, name, locale);
    if (!layout) {
      throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, 'TEMPLATE_RENDER_FAILED', `The layout "${name}" no longer exists in templates/layouts.`);
    }
    return layout;
  }

  /**
   * Which template a request gets is the same for every recipient of a batch: the answer is kept
   * until the files or the published index change (each of those is a new object when it does).
   */
  private async resolve(key: string, channel: ChannelKind, locale: string | undefined, variant: string | undefined): Promise<RenderableTemplate> {
    const snapshot = await this.files.current();
    const index = await this.publishedIndex();
    if (this.resolved.snapshot !== snapshot || this.resolved.index !== index || this.resolved.entries.size >= MAX_CACHED_VERSIONS) {
      this.resolved = { snapshot, index, entries: new Map() };
    }
    const request = `${channel}|${key}|${locale ?? ''}|${variant ?? ''}`;
    const known = this.resolved.entries.get(request);
    if (known) return known;
    const template = await this.choose(key, channel, locale, variant, snapshot);
    this.resolved.entries.set(request, template);
    return template;
  }

  private async choose(key: string, channel: ChannelKind, locale: string | undefined, variant: string | undefined, snapshot: FileSnapshot): Promise<RenderableTemplate> {
    const candidates = await this.candidates(key, channel, snapshot);
    if (candidates.length === 0) {
      throw new ApiError(HttpStatus.NOT_FOUND, 'TEMPLATE_NOT_FOUND', `There is no ${channel} template "${key}".`, [{ field: 'key', problem: `no ${channel} template "${key}"` }]);
    }
    const usable = variant ? candidates.filter((c) => c.variant === variant) : candidates;
    const chosenLocale = localeCandidates(locale ?? FALLBACK_LOCALE, usable.map((c) => c.locale))[0];
    if (chosenLocale === undefined) {
      throw new ApiError(HttpStatus.NOT_FOUND, 'TEMPLATE_NOT_FOUND', `The ${channel} template "${key}" has no variant "${variant}".`, [
        { field: 'variant', problem: `no variant "${variant}" (have: ${[...new Set(candidates.map((c) => c.variant))].sort().join(', ')})` },
      ]);
    }
    const inLocale = usable.filter((c) => c.locale === chosenLocale).sort((a, b) => a.variant.localeCompare(b.variant));
    const chosen = inLocale.find((c) => c.variant === (variant ?? DEFAULT_VARIANT)) ?? inLocale[0];
    if (chosen.published) {
      const entry = chosen.published;
      const version = await this.loadVersion(entry.id, entry.version);
      return this.fromVersion(snapshot, entry, { version: entry.version, ...version }, `db:${entry.id}:${entry.version}`);
    }
    return this.fromFile(snapshot, chosen.file!);
  }

  /** Every template of a key and channel, one per locale and variant; a published database version wins over a file. */
  private async candidates(key: string, channel: ChannelKind, snapshot?: FileSnapshot): Promise<Candidate[]> {
    const files = snapshot ?? (await this.files.current());
    const byCoordinates = new Map<string, Candidate>();
    for (const file of files.templates.values()) {
      if (file.key === key && file.channel === channel) byCoordinates.set(`${file.locale}|${file.variant}`, { locale: file.locale, variant: file.variant, file });
    }
    for (const entry of (await this.publishedIndex()).get(`${channel}|${key}`) ?? []) {
      byCoordinates.set(`${entry.locale}|${entry.variant}`, { locale: entry.locale, variant: entry.variant, published: entry });
    }
    return [...byCoordinates.values()];
  }

  private async publishedIndex(): Promise<Map<string, PublishedEntry[]>> {
    if (this.index && Date.now() - this.index.loadedAt < PUBLISHED_INDEX_TTL_MS) return this.index.byFamily;
    this.loading ??= (async () => {
      try {
        const loadedAt = Date.now();
        const byFamily = new Map<string, PublishedEntry[]>();
        for (const entry of await this.repository.published(this.db.manager)) {
          const family = `${entry.channel}|${entry.key}`;
          byFamily.set(family, [...(byFamily.get(family) ?? []), entry]);
        }
        this.index = { loadedAt, byFamily };
        return byFamily;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /**
   * A published version's content, read once per version: versions never change after publishing.
   * It is checked again on the way in, so a row edited behind the API's back cannot render unchecked.
   */
  private async loadVersion(id: string, version: number): Promise<{ parts: TemplateParts; rootNames: Set<string> }> {
    const key = `db:${id}:${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const row = await this.repository.version(this.db.manager, id, version);
    const template = await this.repository.find(this.db.manager, id);
    if (!row || !template) throw new ApiError(HttpStatus.NOT_FOUND, 'TEMPLATE_NOT_FOUND', `Template ${id} version ${version} no longer exists.`);
    const parts = partsOf(row);
    const snapshot = await this.files.current();
    const checked = this.validator.validate(template.channel, parts, { layoutExists: (name) => snapshot.layouts.has(name) });
    if (checked.problems.length > 0) {
      throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, 'TEMPLATE_INVALID', `Template ${id} version ${version} no longer passes the template check.`, checked.problems);
    }
    if (this.versions.size >= MAX_CACHED_VERSIONS) this.versions.clear();
    const loaded = { parts, rootNames: checked.rootNames };
    this.versions.set(key, loaded);
    return loaded;
  }
}

export function partsOf(row: Pick<VersionRow, 'subject' | 'html' | 'text' | 'body' | 'layout'>): TemplateParts {
  return { subject: row.subject, html: row.html, text: row.text, body: row.body, layout: row.layout };
}
