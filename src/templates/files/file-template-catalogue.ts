import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ChannelKind } from '../../channels/channel.types';
import { CONTEXT_FIELDS, EXTRA_FIELDS, LAYOUT_FIELDS, rootSchema, SchemaNode } from '../engine/render-schema';
import { ParsedTemplate, TemplateEngine } from '../engine/template-engine';
import { localeCandidates } from '../engine/locale-fallback';
import { PartName, TemplateParts, TemplateValidator } from '../engine/template-validator';
import {
  CHANNELS,
  declaredExtras,
  fileTemplateId,
  FrontMatter,
  PARTIAL_PATTERN,
  parseFrontMatter,
  parseTemplateFileName,
  TemplateFileName,
} from './template-file-names';

export const TEMPLATES_DIR = Symbol('TEMPLATES_DIR');

/** A changed file is noticed within this long (a lookup rescans the folder when the last scan is older). */
const RESCAN_AFTER_MS = 2000;
const NEUTRAL = '';

export interface FileTemplate {
  id: string;
  channel: ChannelKind;
  key: string;
  locale: string;
  variant: string;
  /** Relative to the templates folder, e.g. email/birthday.en.a.hbs. */
  path: string;
  textPath: string | null;
  parts: TemplateParts;
  declaredExtras: string[];
  rootNames: Set<string>;
  /** Changes whenever one of its files does: part of the compiled-cache key. */
  stamp: string;
  description: string | null;
}

export interface FileLayout {
  name: string;
  locale: string | null;
  path: string;
  source: string;
  stamp: string;
}

export interface FileSnapshot {
  templates: ReadonlyMap<string, FileTemplate>;
  layouts: ReadonlyMap<string, ReadonlyMap<string, FileLayout>>;
}

interface ScannedFile {
  path: string;
  mtimeMs: number;
  size: number;
}

/** The repository's `templates/` folder, found from this file in the sources and in the build alike. */
export function defaultTemplatesDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return join(process.cwd(), 'templates');
    dir = parent;
  }
  return join(dir, 'templates');
}

/**
 * The Handlebars sources under templates/: `<channel>/<key>.<locale>[.<variant>][.text].hbs`,
 * `layouts/<name>[.<locale>].hbs` and `partials/<name>.hbs` (conventions in ../README.md). All are
 * checked as strictly as database templates when loaded: a bad file stops the start-up with every
 * problem named; a file broken later (while the service runs) is logged and the last good set stays.
 */
@Injectable()
export class FileTemplateCatalogue implements OnModuleInit {
  private readonly logger = new Logger(FileTemplateCatalogue.name);
  private snapshot: FileSnapshot = { templates: new Map(), layouts: new Map() };
  private signature = '';
  private scannedAt = 0;
  private scanning: Promise<void> | null = null;

  constructor(
    private readonly engine: TemplateEngine,
    private readonly validator: TemplateValidator,
    @Inject(TEMPLATES_DIR) private readonly dir: string,
  ) {}

  async onModuleInit(): Promise<void> {
    const problems = await this.reload();
    if (problems.length > 0) {
      throw new Error(`Invalid templates in ${this.dir}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    }
  }

  /** The current files, rescanned when the last scan is older than a couple of seconds. */
  async current(): Promise<FileSnapshot> {
    if (Date.now() - this.scannedAt > RESCAN_AFTER_MS) {
      this.scanning ??= this.rescan().finally(() => (this.scanning = null));
      await this.scanning;
    }
    return this.snapshot;
  }

  /** The layout for a locale: exact, language, same language, neutral (no locale in the name), English. */
  layout(snapshot: FileSnapshot, name: string, locale: string): FileLayout | null {
    const byLocale = snapshot.layouts.get(name);
    if (!byLocale) return null;
    const localised = [...byLocale.keys()].filter((l) => l !== NEUTRAL);
    const preferred = localeCandidates(locale, localised);
    const sameLanguage = preferred.filter((l) => l.split('-')[0] === locale.split('-')[0]);
    const order = [...sameLanguage, NEUTRAL, ...preferred.filter((l) => !sameLanguage.includes(l))];
    for (const candidate of order) {
      const found = byLocale.get(candidate);
      if (found) return found;
    }
    return null;
  }

  private async rescan(): Promise<void> {
    const problems = await this.reload();
    if (problems.length > 0) {
      this.logger.error(`Template files changed but are invalid; the previous set stays in use:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    }
  }

  /** Reads everything when any file changed; commits only a set without problems. Returns the problems. */
  async reload(): Promise<string[]> {
    const files = await this.scan();
    this.scannedAt = Date.now();
    const signature = files.map((f) => `${f.path}@${f.mtimeMs}:${f.size}`).join('\n');
    if (signature === this.signature) return [];
    const problems: string[] = [];
    const texts = new Map<string, string>();
    await Promise.all(files.map(async (f) => texts.set(f.path, await readFile(join(this.dir, f.path), 'utf8'))));
    const stampOf = new Map(files.map((f) => [f.path, `${f.path}@${f.mtimeMs}`]));

    const partials = this.loadPartials(files, texts, problems);
    const partialAsts = new Map([...partials].map(([name, p]) => [name, p.ast]));
    const layouts = this.loadLayouts(files, texts, stampOf, partialAsts, problems);
    const templates = this.loadTemplates(files, texts, stampOf, layouts, partialAsts, problems);
    if (problems.length > 0) return problems;

    this.engine.setPartials(partials);
    // Keys carry each file's mtime; dropping the old entries keeps the cache from growing with every edit.
    this.engine.forget('file:');
    this.engine.forget('layout:');
    this.snapshot = { templates, layouts };
    this.signature = signature;
    return [];
  }

  private async scan(): Promise<ScannedFile[]> {
    const found: ScannedFile[] = [];
    for (const folder of [...CHANNELS, 'layouts', 'partials']) {
      let names: string[];
      try {
        names = await readdir(join(this.dir, folder));
      } catch {
        continue;
      }
      for (const name of names.filter((n) => n.endsWith('.hbs')).sort()) {
        const info = await stat(join(this.dir, folder, name));
        if (info.isFile()) found.push({ path: `${folder}/${name}`, mtimeMs: info.mtimeMs, size: info.size });
      }
    }
    return found;
  }

  private loadPartials(files: ScannedFile[], texts: Map<string, string>, problems: string[]): Map<string, ParsedTemplate> {
    const partials = new Map<string, ParsedTemplate>();
    for (const file of files.filter((f) => f.path.startsWith('partials/'))) {
      const name = file.path.slice('partials/'.length, -'.hbs'.length);
      if (!PARTIAL_PATTERN.test(name)) {
        problems.push(`${file.path}: a partial name is a-z, 0-9, - and _`);
        continue;
      }
      const source = texts.get(file.path)!;
      const parsed = this.engine.parse(source);
      if ('problem' in parsed) problems.push(`${file.path}: ${parsed.problem.message} at line ${parsed.problem.line}, column ${parsed.problem.column}`);
      else partials.set(name, { ast: parsed.ast, source });
    }
    // Alone, a partial is checked only for what is wrong anywhere (helpers, internals, the environment);
    // its variables are checked where it is included, against the includer's scope.
    const partialAsts = new Map([...partials].map(([name, p]) => [name, p.ast]));
    for (const [name, partial] of partials) {
      for (const problem of this.validator.checkSource(partial.source, 'html', { kind: 'open' }, undefined, partialAsts)) {
        problems.push(`partials/${name}.hbs: ${problem.message} at line ${problem.line}, column ${problem.column}`);
      }
    }
    return partials;
  }

  private loadLayouts(
    files: ScannedFile[],
    texts: Map<string, string>,
    stampOf: Map<string, string>,
    partials: ReadonlyMap<string, hbs.AST.Program>,
    problems: string[],
  ): Map<string, Map<string, FileLayout>> {
    const layouts = new Map<string, Map<string, FileLayout>>();
    const root: SchemaNode = rootSchema({ layout: true });
    for (const file of files.filter((f) => f.path.startsWith('layouts/'))) {
      const [name, locale, ...rest] = file.path.slice('layouts/'.length, -'.hbs'.length).split('.');
      if (!PARTIAL_PATTERN.test(name) || rest.length > 0) {
        problems.push(`${file.path}: a layout is layouts/<name>[.<locale>].hbs`);
        continue;
      }
      const source = texts.get(file.path)!;
      for (const problem of this.validator.checkSource(source, 'html', root, undefined, partials)) {
        problems.push(`${file.path}: ${problem.message} at line ${problem.line}, column ${problem.column}`);
      }
      if (!/\{\{\s*content\s*\}\}/.test(source)) problems.push(`${file.path}: a layout must place the message with {{content}}`);
      if (!layouts.has(name)) layouts.set(name, new Map());
      layouts.get(name)!.set(locale ?? NEUTRAL, { name, locale: locale ?? null, path: file.path, source, stamp: stampOf.get(file.path)! });
    }
    return layouts;
  }

  private loadTemplates(
    files: ScannedFile[],
    texts: Map<string, string>,
    stampOf: Map<string, string>,
    layouts: Map<string, Map<string, FileLayout>>,
    partials: ReadonlyMap<string, hbs.AST.Program>,
    problems: string[],
  ): Map<string, FileTemplate> {
    const mains = new Map<string, { name: TemplateFileName; path: string }>();
    const textParts = new Map<string, string>();
    for (const file of files.filter((f) => CHANNELS.some((c) => f.path.startsWith(`${c}/`)))) {
      const [channel, fileName] = file.path.split('/') as [ChannelKind, string];
      const name = parseTemplateFileName(channel, fileName);
      if ('problem' in name) {
        problems.push(`${file.path}: ${name.problem}`);
        continue;
      }
      const id = fileTemplateId(name);
      if (name.textPart) textParts.set(id, file.path);
      else if (mains.has(id)) problems.push(`${file.path}: the same template as ${mains.get(id)!.path}`);
      else mains.set(id, { name, path: file.path });
    }
    for (const [id, path] of textParts) if (!mains.has(id)) problems.push(`${path}: a text part without its ${path.replace('.text.hbs', '.hbs')}`);

    const templates = new Map<string, FileTemplate>();
    const reserved = new Set([...Object.keys(CONTEXT_FIELDS), ...Object.keys(EXTRA_FIELDS), ...Object.keys(LAYOUT_FIELDS)]);
    for (const [id, { name, path }] of mains) {
      const raw = texts.get(path)!;
      const front = parseFrontMatter(raw);
      for (const p of front.problems) problems.push(`${path}: ${p.message} at line ${p.line}, column ${p.column}`);
      const textPath = textParts.get(id) ?? null;
      const text = textPath ? texts.get(textPath)! : null;
      const extras = declaredExtras(raw + (text ?? ''));
      for (const p of extras.problems) problems.push(`${path}: ${p}`);
      for (const extra of extras.names.filter((n) => reserved.has(n))) problems.push(`${path}: extras: "${extra}" is already part of the render context`);
      const parts = partsOf(name.channel, front, text);
      const validated = this.validator.validate(name.channel, parts, {
        declaredExtras: extras.names,
        layoutExists: (layout) => layouts.has(layout),
        partials,
        fieldName: (part) => (part === 'text' ? textPath! : path),
        offsetOf: (part) => offsetOf(part, front),
      });
      for (const p of validated.problems) problems.push(`${p.field}: ${p.problem}`);
      templates.set(id, {
        id,
        ...name,
        path,
        textPath,
        parts,
        declaredExtras: extras.names,
        rootNames: validated.rootNames,
        stamp: [stampOf.get(path), textPath && stampOf.get(textPath)].filter(Boolean).join('+'),
        description: front.fields.description?.value ?? null,
      });
    }
    return templates;
  }
}

function partsOf(channel: ChannelKind, front: FrontMatter, text: string | null): TemplateParts {
  if (channel !== 'email') return { body: front.body, subject: front.fields.subject?.value ?? null, layout: front.fields.layout?.value ?? null };
  return { subject: front.fields.subject?.value ?? null, html: front.body, text, layout: front.fields.layout?.value ?? null };
}

function offsetOf(part: PartName, front: FrontMatter): { line: number; column: number } {
  if (part === 'subject') return front.fields.subject ?? { line: 1, column: 1 };
  if (part === 'text') return { line: 1, column: 1 };
  return { line: front.bodyLine, column: 1 };
}
