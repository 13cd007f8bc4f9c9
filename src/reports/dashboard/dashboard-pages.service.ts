import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTemplatesDir } from '../../templates/files/file-template-catalogue';
import { DashboardAssets } from './dashboard-assets';
import { DASHBOARD_TEXTS, DashboardLocale } from './dashboard-texts';
import { ChartView } from './dashboard-views';

type CompiledPage = HandlebarsTemplateDelegate<Record<string, unknown>>;

export type DashboardPage = 'campaigns' | 'campaign' | 'value' | 'message';

/**
 * The staff dashboard's pages: `templates/dashboard/<page>.hbs` inside `layout.hbs`, with the
 * wording from dashboard-texts.ts. A Handlebars environment of its own (HTML-escaped, prototype
 * access blocked as by default). Chart data travels in `<script type="application/json">` blocks
 * that only our static script reads, so the page needs no inline script and CSP script-src 'self'
 * holds.
 */
@Injectable()
export class DashboardPages {
  private readonly env = Handlebars.create();
  private readonly dir = join(defaultTemplatesDir(), 'dashboard');
  private readonly compiled = new Map<string, CompiledPage>();

  constructor(private readonly assets: DashboardAssets) {
    this.env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    // A chart's configuration as JSON inside a <script> element: '<' escaped so no value (a campaign's
    // variant name, say) can close the element, and the HTML parser leaves the text alone.
    this.env.registerHelper('chartJson', (chart: ChartView) => new this.env.SafeString(scriptSafeJson(chart.config)));
    const partials = join(this.dir, 'partials');
    for (const file of existsSync(partials) ? readdirSync(partials) : []) {
      const match = /^([a-z0-9][a-z0-9-]*)\.hbs$/.exec(file);
      if (match) this.env.registerPartial(match[1], this.env.compile(readFileSync(join(partials, file), 'utf8')));
    }
  }

  render(res: Response, page: DashboardPage, locale: DashboardLocale, context: Record<string, unknown>, status = 200): void {
    const t = DASHBOARD_TEXTS[locale];
    const body = this.template(`${page}.hbs`)({ ...context, t, locale });
    const html = this.template('layout.hbs')({
      ...context,
      t,
      lang: locale,
      assets: this.assets.urls(),
      title: typeof context.title === 'string' ? `${context.title} · ${t.appName}` : t.appName,
      body: new this.env.SafeString(body),
    });
    // Reports about customers: never kept by a shared cache or the back/forward cache.
    res.status(status).setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.send(html);
  }

  private template(file: string): CompiledPage {
    let template = this.compiled.get(file);
    if (!template) {
      template = this.env.compile<Record<string, unknown>>(readFileSync(join(this.dir, file), 'utf8'), { noEscape: false, compat: false });
      this.compiled.set(file, template);
    }
    return template;
  }
}

export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
