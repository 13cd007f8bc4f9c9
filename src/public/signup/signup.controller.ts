import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CsrfGuard, CsrfTokens } from '../csrf';
import { acceptedLocale } from '../public-page.filter';
import { PublicPageError } from '../public-page.error';
import { PublicPages } from '../public-pages.service';
import { PublicPageRoutes } from '../public-routes.decorator';
import { EmbedFormTokens, SignupCsrfGuard } from './signup-embedding';
import { SignupFormModel, SignupService } from './signup.service';
import { SignupLocale } from './signup-texts';

/**
 * The public sign-up form (embeddable in other sites' pages) and the double opt-in confirmation.
 * The confirmation link's GET only shows a button: a mail scanner following the link confirms
 * nothing; the button's POST does.
 */
@PublicPageRoutes()
@Controller('signup')
export class SignupController {
  constructor(
    private readonly signups: SignupService,
    private readonly pages: PublicPages,
    private readonly csrf: CsrfTokens,
    private readonly embedTokens: EmbedFormTokens,
  ) {}

  @Get()
  async form(@Query('locale') locale: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const chosen = SignupService.localeFor(typeof locale === 'string' ? locale : acceptedLocale(req));
    this.showForm(req, res, await this.signups.emptyForm(chosen));
  }

  @Post()
  @UseGuards(SignupCsrfGuard)
  async submit(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const locale = SignupService.localeFor(typeof body?.locale === 'string' ? body.locale : acceptedLocale(req));
    const outcome = await this.signups.submit(body, locale);
    if (!outcome.accepted) return this.showForm(req, res, outcome.form, 400);
    this.pages.render(res, 'signup-sent', locale, { title: title(locale, 'sent') });
  }

  @Get('confirm/:token')
  async confirmPage(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const check = await this.signups.checkConfirmation(token);
    if (!check.ok) throw new PublicPageError(check.status, acceptedLocale(req));
    if (check.alreadyConfirmed) return this.showConfirmed(res, check.locale, check.topics);
    this.pages.render(res, 'signup-confirm', check.locale, {
      title: title(check.locale, 'confirm'),
      csrf: this.csrf.issue(req, res),
      token,
      topics: await this.signups.topicLabels(check.topics, check.locale),
      consentText: check.consentText,
    });
  }

  @Post('confirm/:token')
  @HttpCode(200)
  @UseGuards(CsrfGuard)
  async confirm(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const result = await this.signups.confirm(token);
    if (!result.ok) throw new PublicPageError(result.status, acceptedLocale(req));
    await this.showConfirmed(res, result.locale, result.topics);
  }

  private showForm(req: Request, res: Response, form: SignupFormModel, status = 200): void {
    this.pages.render(
      res,
      'signup',
      form.locale,
      { ...form, title: title(form.locale, 'form'), csrf: this.csrf.issue(req, res), embedToken: this.embedTokens.issue(), hasErrors: form.errorList.length > 0 },
      status,
    );
  }

  private async showConfirmed(res: Response, locale: SignupLocale, topics: string[]): Promise<void> {
    this.pages.render(res, 'signup-confirmed', locale, { title: title(locale, 'confirmed'), topics: await this.signups.topicLabels(topics, locale) });
  }
}

const TITLES: Record<SignupLocale, Record<'form' | 'sent' | 'confirm' | 'confirmed', string>> = {
  en: { form: 'Sign up', sent: 'Please check your inbox', confirm: 'Confirm your sign-up', confirmed: 'You are signed up' },
  'zh-CN': { form: '订阅', sent: '请查收邮件', confirm: '确认订阅', confirmed: '订阅成功' },
};

function title(locale: SignupLocale, page: keyof (typeof TITLES)['en']): string {
  return TITLES[locale][page];
}
