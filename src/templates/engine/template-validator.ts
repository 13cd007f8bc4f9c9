import { Injectable } from '@nestjs/common';
import type { ChannelKind } from '../../channels/channel.types';
import type { ErrorDetail } from '../../common/errors/api-error';
import { rootSchema, SchemaNode } from './render-schema';
import { OutputMode, SourceOffset, TemplateEngine } from './template-engine';

/** The editable parts of a template; which ones a channel uses is fixed by PARTS_BY_CHANNEL. */
export interface TemplateParts {
  subject?: string | null;
  html?: string | null;
  text?: string | null;
  body?: string | null;
  layout?: string | null;
}

export type PartName = 'subject' | 'html' | 'text' | 'body';

/** Per channel: each part's output mode and whether it is required. Anything else is refused. */
export const PARTS_BY_CHANNEL: Record<ChannelKind, Partial<Record<PartName, { mode: OutputMode; required: boolean }>>> = {
  email: { subject: { mode: 'text', required: true }, html: { mode: 'html', required: true }, text: { mode: 'text', required: false } },
  sms: { body: { mode: 'text', required: true } },
  mail: { body: { mode: 'text', required: true } },
};

export interface ValidationOptions {
  /** Root names a file template declared with {{!-- extras: … --}}; never for database templates. */
  declaredExtras?: readonly string[];
  /** Whether a layout of that name exists (layouts are files). */
  layoutExists: (name: string) => boolean;
  /** How each part is named in a problem (a field name, or a file path). */
  fieldName?: (part: PartName | 'layout') => string;
  /** Where each part starts in its file, so positions point into the file. */
  offsetOf?: (part: PartName) => SourceOffset;
  /** Partials to check against instead of the registered ones. */
  partials?: ReadonlyMap<string, hbs.AST.Program>;
}

export interface ValidatedParts {
  problems: ErrorDetail[];
  /** Root names read by any part (`age` is computed only when read). */
  rootNames: Set<string>;
}

/**
 * The strict rules every template passes before it is saved, published, previewed or loaded from
 * a file: the channel's parts are present (and no others), each parses, and each refers only to
 * what the render context holds, through known helpers and partials.
 */
@Injectable()
export class TemplateValidator {
  constructor(private readonly engine: TemplateEngine) {}

  validate(channel: ChannelKind, parts: TemplateParts, options: ValidationOptions): ValidatedParts {
    const problems: ErrorDetail[] = [];
    const rootNames = new Set<string>();
    const field = options.fieldName ?? ((part) => part);
    const allowed = PARTS_BY_CHANNEL[channel];
    const root = rootSchema({ declaredExtras: options.declaredExtras });
    for (const part of ['subject', 'html', 'text', 'body'] as const) {
      const rule = allowed[part];
      const source = parts[part];
      const present = typeof source === 'string' && source.trim() !== '';
      if (!rule) {
        if (present) problems.push({ field: field(part), problem: `${channel} templates have no ${part} (they use ${Object.keys(allowed).join(', ')})` });
        continue;
      }
      if (!present) {
        if (rule.required) problems.push({ field: field(part), problem: `${part} is required for ${channel} templates` });
        continue;
      }
      const offset = options.offsetOf?.(part) ?? { line: 1, column: 1 };
      for (const problem of this.checkSource(source, rule.mode, root, rootNames, options.partials)) {
        const line = problem.line + offset.line - 1;
        const column = problem.line === 1 ? problem.column + offset.column - 1 : problem.column;
        problems.push({ field: field(part), problem: `${problem.message} at line ${line}, column ${column}` });
      }
    }
    if (parts.layout) {
      if (channel !== 'email') problems.push({ field: field('layout'), problem: `${channel} templates have no layout` });
      else if (!options.layoutExists(parts.layout)) problems.push({ field: field('layout'), problem: `unknown layout "${parts.layout}"` });
    }
    return { problems, rootNames };
  }

  /** One source on its own (a layout, a partial): its problems with positions in that source. */
  checkSource(source: string, mode: OutputMode, root: SchemaNode, rootNames = new Set<string>(), partials?: ReadonlyMap<string, hbs.AST.Program>) {
    const parsed = this.engine.parse(source);
    if ('problem' in parsed) return [parsed.problem];
    const result = this.engine.check(parsed.ast, mode, root, partials);
    for (const name of result.rootNames) rootNames.add(name);
    return result.problems;
  }
}
