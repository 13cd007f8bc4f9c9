import { Controller, Get, Param, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../auth/decorators';
import { DashboardAccessService } from './dashboard-access.service';
import { DashboardPageFilter } from './dashboard-page.filter';
import { DashboardPages } from './dashboard-pages.service';
import { dashboardLocale } from './dashboard-texts';

/**
 * `GET /dashboard/enter/:token`: exchanges a dashboard link for a session cookie. @Public to the
 * API key guard, so it is rate-limited per IP like every public route.
 */
@Public()
@UseFilters(DashboardPageFilter)
@ApiExcludeController()
@Controller('dashboard/enter')
export class DashboardEntryController {
  constructor(
    private readonly access: DashboardAccessService,
    private readonly pages: DashboardPages,
  ) {}

  /**
   * Answers with a page that moves on to the fixed path /dashboard rather than a 30x redirect: the
   * link is usually clicked in another site (mail, chat), and a browser does not send a
   * SameSite=Strict cookie along a redirect chain that began on another site, so a redirect would
   * land on "ask for a new link". The page's own refresh is a same-site navigation.
   */
  @Get(':token')
  async enter(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const cookie = await this.access.enter(token, req.secure);
    res.cookie(cookie.name, cookie.value, cookie.options);
    this.pages.render(res, 'message', dashboardLocale(req.headers['accept-language']), { entering: true, titleKey: 'enteringTitle', textKey: 'enteringText' });
  }
}
