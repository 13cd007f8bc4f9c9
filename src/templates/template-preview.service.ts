import { HttpStatus, Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { AppConfig, publicBaseUrl } from '../config/app-config';
import { RenderContextService } from '../memory/render-context/render-context.service';
import { MessageRenderer } from './engine/message-renderer';
import { EXTRA_NAMES } from './engine/render-schema';
import { TemplateParts, TemplateValidator } from './engine/template-validator';
import { PreviewTemplateDto, TemplateContentDto } from './dto/template.dto';
import { sampleContext } from './sample-context';
import { templateInvalid, TemplateEditorService } from './template-editor.service';
import type { RenderedContent } from './template.types';
import { partsOf, TemplatesService } from './templates.service';

export interface PreviewResult extends RenderedContent {
  templateId: string;
  /** The contact rendered for; null for sample data. */
  contactId: string | null;
  /** Which version state was rendered (a file counts as published). */
  state: 'draft' | 'published' | 'retired';
}

/**
 * Renders a template without sending it: for a real contact (what the memory layer knows about
 * them) or sample data, optionally with unsaved changes, which are checked as strictly as a save.
 */
@Injectable()
export class TemplatePreviewService {
  constructor(
    private readonly editor: TemplateEditorService,
    private readonly templates: TemplatesService,
    private readonly validator: TemplateValidator,
    private readonly renderer: MessageRenderer,
    private readonly contexts: RenderContextService,
    private readonly config: AppConfig,
  ) {}

  async preview(id: string, dto: PreviewTemplateDto): Promise<PreviewResult> {
    if (dto.contactId && dto.sample) {
      throw ApiError.validation([{ field: 'sample', problem: 'give contactId or sample, not both' }]);
    }
    const found = await this.editor.contentForPreview(id, dto.version);
    const template = found.source === 'file' ? found.file : found.row;
    const declaredExtras = found.source === 'file' ? found.file.declaredExtras : [];
    const stored = found.source === 'file' ? found.file.parts : partsOf(found.version);
    const parts = dto.content ? { ...stored, ...changesIn(dto.content) } : stored;

    const checked = this.validator.validate(template.channel, parts, { declaredExtras, layoutExists: (name) => found.snapshot.layouts.has(name) });
    if (checked.problems.length > 0) throw templateInvalid(checked.problems, 'nothing was rendered');
    const unknownExtras = Object.keys(dto.extra ?? {}).filter((name) => !EXTRA_NAMES.includes(name) && !declaredExtras.includes(name));
    if (unknownExtras.length > 0) {
      const known = [...EXTRA_NAMES, ...declaredExtras].join(', ');
      throw ApiError.validation(unknownExtras.map((name) => ({ field: `extra.${name}`, problem: `not a render extra (known: ${known})` })));
    }

    const labelLocale = dto.locale ?? template.locale;
    let context: Record<string, unknown>;
    if (dto.contactId) {
      const built = await this.contexts.build(dto.contactId, labelLocale);
      if (!built) throw new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', `Contact ${dto.contactId} does not exist.`, [{ field: 'contactId', problem: 'no such live contact' }]);
      context = built as unknown as Record<string, unknown>;
    } else {
      context = sampleContext(labelLocale, dto.sample);
    }
    // Placeholders so the footer looks as it will; the real links carry a signed token per recipient.
    const base = publicBaseUrl(this.config);
    const extra = { unsubscribeUrl: `${base}/unsubscribe?token=preview`, preferencesUrl: `${base}/preferences?token=preview`, ...dto.extra };

    const unchanged = !dto.content;
    const renderable =
      found.source === 'file'
        ? this.templates.fromFile(found.snapshot, found.file, parts, checked.rootNames)
        : this.templates.fromVersion(
            found.snapshot,
            found.row,
            { version: found.version.version, parts, rootNames: checked.rootNames },
            unchanged && found.version.state !== 'draft' ? `db:${found.row.id}:${found.version.version}` : null,
          );
    const rendered = this.renderer.render(renderable, context, extra);
    return {
      templateId: id,
      contactId: dto.contactId ?? null,
      state: found.source === 'file' ? 'published' : found.version.state,
      ...rendered,
    };
  }
}

function changesIn(content: TemplateContentDto): TemplateParts {
  const parts: TemplateParts = {};
  for (const name of ['subject', 'html', 'text', 'body', 'layout'] as const) if (content[name] !== undefined) parts[name] = content[name];
  return parts;
}
