import { Body, Controller, Get, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CsrfGuard, CsrfTokens } from '../csrf';
import { PublicPages } from '../public-pages.service';
import { PublicPageRoutes } from '../public-routes.decorator';
import type { FormBody } from './preference-form';
import { PREFERENCES_PAGE, PreferenceCentreService } from './preference-centre.service';

/** The customer's own preference page, reached by the signed link in every message. */
@PublicPageRoutes()
@Controller('preferences')
export class PreferenceCentreController {
  constructor(
    private readonly centre: PreferenceCentreService,
    private readonly pages: PublicPages,
    private readonly csrf: CsrfTokens,
  ) {}

  @Get(':token')
  async show(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = await this.centre.show(token);
    this.pages.render(res, PREFERENCES_PAGE, page.locale, { ...page.context, csrf: this.csrf.issue(req, res) }, page.status);
  }

  @Post(':token')
  @UseGuards(CsrfGuard)
  async save(@Param('token') token: string, @Body() body: FormBody, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = await this.centre.save(token, body ?? {});
    this.pages.render(res, PREFERENCES_PAGE, page.locale, { ...page.context, csrf: this.csrf.issue(req, res) }, page.status);
  }
}
