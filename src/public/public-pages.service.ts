import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localeCandidates } from '../templates/engine/locale-fallback';
import { defaultTemplatesDir } from '../templates/files/file-template-catalogue';

export type PublicErrorStatus = 400 | 403 | 404 | 410 | 429 | 500;

type CompiledPage = HandlebarsTemplateDelegate<Record<string, unknown>>;

const PAGE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * Server-rendered pages for customers (preference centre, unsubscribe, sign-up): the page
 * `templates/public/<page>.<locale>.hbs` (exact locale, then its language, then English) inside
 * `templates/public/layout.hbs`. Its own Handlebars environment, separate from the message
 * templates: HTML-escaped, prototype access blocked (the default, never relaxed), and only the few
 * helpers a form needs. Pages carry no scripts, so the strict CSP set in app.setup.ts holds.
 */
@Injectable()
export class PublicPages {
  private readonly env = Handlebars.create();
  private readonly dir: string;
  /** page → locales it exists in, read once: the set of pages is part of the release. */
  private readonly locales = new Map<string, string[]>();
  private readonly compiled = new Map<string, CompiledPage>();

  constructor() {
    this.dir = join(defaultTemplatesDir(), 'public');
    for (const file of existsSync(this.dir) ? readdirSync(this.dir) : []) {
      const match = /^([a-z0-9][a-z0-9-]*)\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.hbs$/.exec(file);
      if (!match) continue;
      this.locales.set(match[1], [...(this.locales.get(match[1]) ?? []), match[2]]);
    }
    registerFormHelpers(this.env);
    // Shared pieces (a question's widgets) live in templates/public/partials/<name>.hbs.
    const partials = join(this.dir, 'partials');
    for (const file of existsSync(partials) ? readdirSync(partials) : []) {
      const match = /^([a-z0-9][a-z0-9-]*)\.hbs$/.exec(file);
      if (match) this.env.registerPartial(match[1], this.env.compile(readFileSync(join(partials, file), 'utf8'), { noEscape: false, compat: false }));
    }
  }

  /**
   * Renders `page` in the locale closest to `locale` inside the shared layout. `context` is shown
   * escaped; `title` (if given) becomes the document title.
   */
  render(res: Response, page: string, locale: string | null, context: Record<string, unknown>, status = 200): void {
    const html = this.renderToString(page, locale, context);
    this.send(res, status, html);
  }

  /** A plain page for a refused request: no data about anyone, only what went wrong in general terms. */
  renderError(res: Response, status: PublicErrorStatus, locale: string | null): void {
    const html = this.renderToString('error', locale, { status, [`is${status}`]: true });
    if (status === 429) res.setHeader('Retry-After', '60');
    this.send(res, status, html);
  }

  /** The locale a page will be shown in for a requested one (zh-HK → zh-CN, fr → en). */
  resolveLocale(page: string, locale: string | null): string {
    const available = this.locales.get(page);
    if (!available || available.length === 0) throw new Error(`No public page "${page}" in ${this.dir}`);
    return localeCandidates(locale, available)[0] ?? available[0];
  }

  renderToString(page: string, locale: string | null, context: Record<string, unknown>): string {
    if (!PAGE_NAME.test(page)) throw new Error(`Bad public page name "${page}"`);
    const chosen = this.resolveLocale(page, locale);
    const body = this.template(`${page}.${chosen}.hbs`)(context);
    return this.template('layout.hbs')({
      ...context,
      lang: chosen,
      title: typeof context.title === 'string' ? context.title : 'Tidings',
      // The page's own output is already escaped HTML; SafeString keeps the layout free of {{{ }}}.
      body: new this.env.SafeString(body),
    });
  }

  private template(file: string): CompiledPage {
    let template = this.compiled.get(file);
    if (!template) {
      const source = readFileSync(join(this.dir, file), 'utf8');
      template = this.env.compile<Record<string, unknown>>(source, { strict: false, noEscape: false, compat: false });
      this.compiled.set(file, template);
    }
    return template;
  }

  private send(res: Response, status: number, html: string): void {
    // Pages show a contact's own data: never stored by a shared cache or the browser's back/forward cache.
    res.status(status).setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.send(html);
  }
}

/** What forms need to pre-fill themselves: comparisons, membership, nothing that reaches outside the context. */
function registerFormHelpers(env: typeof Handlebars): void {
  env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  env.registerHelper('includes', (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value));
}
