import { Controller, Get, Param, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Actor, CurrentActor } from '../../auth/actor';
import { Public } from '../../auth/decorators';
import { ParseId } from '../../common/parse-id.pipe';
import { DashboardPageFilter } from './dashboard-page.filter';
import { DashboardPages } from './dashboard-pages.service';
import { DashboardSessionGuard } from './dashboard-session.guard';
import { DASHBOARD_TEXTS, dashboardLocale } from './dashboard-texts';
import { DashboardService } from './dashboard.service';
import { CampaignPageQuery, ValuePageQuery } from './dto/dashboard-query.dto';

/**
 * The read-only dashboard: server-rendered pages behind the session cookie a dashboard link sets
 * (no API key on a page load, hence @Public to the key guard and DashboardSessionGuard instead).
 * Nothing here writes; the only form is the timeline's GET selector.
 */
@Public()
@UseGuards(DashboardSessionGuard)
@UseFilters(DashboardPageFilter)
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  constructor(
    private readonly dashboard: DashboardService,
    private readonly pages: DashboardPages,
  ) {}

  @Get()
  async campaigns(@CurrentActor() actor: Actor, @Req() req: Request, @Res() res: Response): Promise<void> {
    const locale = dashboardLocale(req.headers['accept-language']);
    this.pages.render(res, 'campaigns', locale, await this.dashboard.campaignsPage(actor, DASHBOARD_TEXTS[locale]));
  }

  @Get('campaigns/:id')
  async campaign(@Param('id', ParseId) id: string, @Query() query: CampaignPageQuery, @CurrentActor() actor: Actor, @Req() req: Request, @Res() res: Response): Promise<void> {
    const locale = dashboardLocale(req.headers['accept-language']);
    this.pages.render(res, 'campaign', locale, await this.dashboard.campaignPage(actor, id, query, DASHBOARD_TEXTS[locale]));
  }

  @Get('value')
  async value(@Query() query: ValuePageQuery, @CurrentActor() actor: Actor, @Req() req: Request, @Res() res: Response): Promise<void> {
    const locale = dashboardLocale(req.headers['accept-language']);
    this.pages.render(res, 'value', locale, await this.dashboard.valuePage(actor, query, DASHBOARD_TEXTS[locale]));
  }
}
