import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { ChannelKind } from '../../channels/channel.types';
import { ApiError } from '../../common/errors/api-error';
import { birthdayAge, validZone } from '../helpers/dates';
import { RenderScope, SCOPE_KEY } from '../helpers/render-scope';
import { MAX_REPEATS_PER_RENDER } from '../helpers/template-helpers';
import type { RenderedContent } from '../template.types';
import { inlineCss, inlinedLayoutSource } from './css-inliner';
import { derivedTextSource, htmlToPlainText, wrapLines } from './plain-text';
import { TemplateEngine } from './template-engine';
import type { TemplateParts } from './template-validator';

/** A template ready to render: its parts, where they came from, and its layout (already chosen for its locale). */
export interface RenderableTemplate {
  /** `db:<id>:<version>` or `file:<path>@<mtime>`: the compiled-cache key; null for content that may still change. */
  cacheKey: string | null;
  templateKey: string;
  channel: ChannelKind;
  locale: string;
  variant: string;
  version: number | null;
  source: 'file' | 'database';
  parts: TemplateParts;
  /** Root names the parts read; `age` is computed only when one of them does. */
  rootNames: ReadonlySet<string>;
  layout: { stamp: string; source: string } | null;
}

/**
 * Output limits, in characters. An SMS above 1,600 is refused by Twilio anyway; the others keep a
 * runaway template (or data) from producing a message no one would want to receive.
 */
export const OUTPUT_LIMITS = { subject: 998, html: 512 * 1024, text: 256 * 1024, sms: 1600, mail: 64 * 1024 } as const;

/**
 * How the text part derived from a template's HTML is checked against converting the message
 * itself: every one of the first messages (different contacts, different values), then one in a
 * hundred for as long as the template is in use, so a difference only some data brings out (a
 * long name that wraps a line differently) is still found, at a hundredth of the conversions' cost.
 */
const TEXT_CHECKED_FIRST = 20;
const TEXT_RECHECK_EVERY = 100;

/** Runs compiled templates over a context: HTML escaped, text as written, every helper in the contact's zone. */
@Injectable()
export class MessageRenderer {
  /**
   * Per template and layout: whether inlining the template once gives exactly what inlining each
   * rendered message gives (checked on the first message). Structure-dependent CSS (`:first-child`
   * around a conditional block, say) can make them differ; such a template is inlined per message.
   */
  private readonly inlinedOnce = new Map<string, boolean>();
  /** The once-inlined sources, so juice runs once per template, not once per message. */
  private readonly inlinedSources = new Map<string, string | null>();

  /** Per template and layout: its text template derived from the HTML, and how it compared with converting messages. */
  private readonly derivedTexts = new Map<string, { source: string | null; renders: number; agrees: boolean }>();
  private readonly logger = new Logger(MessageRenderer.name);

  constructor(private readonly engine: TemplateEngine) {}

  render(template: RenderableTemplate, context: Record<string, unknown>, extra: Record<string, unknown> = {}): RenderedContent {
    const root: Record<string, unknown> = { ...context, ...extra };
    const contact = (typeof root.contact === 'object' && root.contact !== null ? root.contact : {}) as { timeZone?: unknown; birthday?: unknown };
    const timeZone = validZone(contact.timeZone);
    const now = toDate(root.now) ?? new Date();
    root.now = now;
    if (root.locale === undefined) root.locale = template.locale;
    if (template.rootNames.has('age') && (root.age === undefined || root.age === null)) {
      root.age = birthdayAge(contact.birthday, now, timeZone) ?? undefined;
    }
    const scope: RenderScope = { locale: template.locale, timeZone, now, budget: { repeats: MAX_REPEATS_PER_RENDER } };
    const data = { [SCOPE_KEY]: scope };
    const run = (part: 'subject' | 'html' | 'text' | 'body', mode: 'html' | 'text', extraRoot?: Record<string, unknown>) => {
      const source = template.parts[part];
      if (typeof source !== 'string' || source.trim() === '') return undefined;
      const compiled = template.cacheKey ? this.engine.compile(`${template.cacheKey}:${part}`, source, mode) : this.engine.compileUncached(source, mode);
      return this.run(template, () => compiled(extraRoot ? { ...root, ...extraRoot } : root, { data }));
    };

    const rendered: RenderedContent = {
      templateKey: template.templateKey,
      channel: template.channel,
      locale: template.locale,
      variant: template.variant,
      version: template.version,
      source: template.source,
    };
    if (template.channel === 'email') {
      rendered.subject = limit(template, 'subject', (run('subject', 'text') ?? '').replace(/\s+/g, ' ').trim(), OUTPUT_LIMITS.subject);
      const layoutRoot = { ...root, subject: rendered.subject };
      const inlinedKey = template.cacheKey ? `${template.cacheKey}:inlined:${template.layout?.stamp ?? ''}` : null;
      let html: string | undefined;
      if (inlinedKey && this.inlinedOnce.get(inlinedKey) !== false) {
        const source = this.inlinedSource(inlinedKey, template);
        const compiled = source === null ? null : this.engine.compile(inlinedKey, source, 'html');
        html = compiled ? this.run(template, () => compiled(layoutRoot, { data })) : undefined;
        if (!this.inlinedOnce.has(inlinedKey)) {
          const reference = inlineCss(this.layoutHtml(template, run('html', 'html') ?? '', layoutRoot, data));
          this.inlinedOnce.set(inlinedKey, html === reference);
          html = reference;
        }
      }
      if (html === undefined) html = inlineCss(this.layoutHtml(template, run('html', 'html') ?? '', layoutRoot, data));
      rendered.html = limit(template, 'html', html, OUTPUT_LIMITS.html);
      rendered.cssInlined = true;
      const text = run('text', 'text');
      if (text !== undefined) rendered.text = limit(template, 'text', plainText(text), OUTPUT_LIMITS.text);
      else {
        rendered.text = limit(template, 'text', this.textOfHtml(template, inlinedKey, rendered.html, layoutRoot, data), OUTPUT_LIMITS.text);
        rendered.textFromHtml = true;
      }
    } else {
      const body = plainText(run('body', 'text') ?? '');
      rendered.text = limit(template, 'text', body, template.channel === 'sms' ? OUTPUT_LIMITS.sms : OUTPUT_LIMITS.mail);
    }
    return rendered;
  }

  /**
   * The text part of a template without one: what htmlToPlainText makes of the message's HTML. A
   * template's HTML is converted once into a text template (derivedTextSource); its wrapped output is
   * compared with the conversion of the first messages and of one in TEXT_RECHECK_EVERY after, and
   * a template where they ever differ is converted message by message from then on.
   */
  private textOfHtml(template: RenderableTemplate, inlinedKey: string | null, html: string, layoutRoot: Record<string, unknown>, data: Record<string, unknown>): string {
    const source = inlinedKey && this.inlinedOnce.get(inlinedKey) === true ? this.inlinedSources.get(inlinedKey) : null;
    if (!inlinedKey || !source) return htmlToPlainText(html);
    const textKey = `${inlinedKey}:text`;
    let derived = this.derivedTexts.get(textKey);
    if (derived === undefined) {
      derived = { source: derivedTextSource(source), renders: 0, agrees: true };
      this.derivedTexts.set(textKey, derived);
    }
    if (derived.source === null || !derived.agrees) return htmlToPlainText(html);
    const compiled = this.engine.compile(textKey, derived.source, 'text');
    const text = wrapLines(this.run(template, () => compiled(layoutRoot, { data })));
    const renders = derived.renders++;
    if (renders >= TEXT_CHECKED_FIRST && renders % TEXT_RECHECK_EVERY !== 0) return text;
    const reference = htmlToPlainText(html);
    if (text !== reference) {
      derived.agrees = false;
      this.logger.warn(`The text part of "${template.templateKey}" (${template.locale}, ${template.variant}) is converted per message: its derived text template differed after ${renders} messages.`);
    }
    return reference;
  }

  private inlinedSource(key: string, template: RenderableTemplate): string | null {
    let source = this.inlinedSources.get(key);
    if (source === undefined) {
      const part = template.parts.html ?? '';
      source = template.layout ? inlinedLayoutSource(template.layout.source, part) : inlineCss(part);
      // Bounded like the engine's own cache: template versions come and go.
      if (this.inlinedSources.size >= 1_000) {
        this.inlinedSources.clear();
        this.inlinedOnce.clear();
        this.derivedTexts.clear();
      }
      this.inlinedSources.set(key, source);
    }
    return source;
  }

  /** The HTML part inside its layout, if the template has one. */
  private layoutHtml(template: RenderableTemplate, html: string, layoutRoot: Record<string, unknown>, data: Record<string, unknown>): string {
    if (!template.layout) return html;
    const layout = this.engine.compile(`layout:${template.layout.stamp}`, template.layout.source, 'html');
    const content = new this.engine.SafeString(html);
    return this.run(template, () => layout({ ...layoutRoot, content }, { data }));
  }

  private run(template: RenderableTemplate, render: () => string): string {
    try {
      return render();
    } catch (error) {
      throw new ApiError(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'TEMPLATE_RENDER_FAILED',
        `The ${template.channel} template "${template.templateKey}" (${template.locale}, ${template.variant}) could not be rendered: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

function toDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'string' || typeof value === 'number') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return null;
}

/** Blocks leave blank lines and trailing spaces behind; a text message should not carry them. */
function plainText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

function limit(template: RenderableTemplate, part: string, output: string, max: number): string {
  if (output.length <= max) return output;
  throw new ApiError(
    HttpStatus.UNPROCESSABLE_ENTITY,
    'TEMPLATE_OUTPUT_TOO_LARGE',
    `The ${part} of "${template.templateKey}" would be ${output.length} characters; at most ${max} are sent.`,
    [{ field: part, problem: `rendered output exceeds ${max} characters` }],
  );
}
