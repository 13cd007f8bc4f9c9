import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, CurrentActor } from '../auth/actor';
import { CampaignScoped } from '../auth/decorators';
import { ParseId } from '../common/parse-id.pipe';
import { CampaignReportService } from './campaign-report.service';
import { ReportFormatQuery, TimelineQuery } from './dto/report-query.dto';
import { csv } from './csv-response';

/** Read-only: a viewer key may read these reports (the default for GET routes), for the campaigns in its scope. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports/campaigns')
export class ReportsController {
  constructor(private readonly reports: CampaignReportService) {}

  /** The funnel per channel and variant, with rates and every reason a message did not go. `?format=csv` for a spreadsheet. */
  @Get(':id')
  @CampaignScoped('id')
  async funnel(@Param('id', ParseId) id: string, @Query() query: ReportFormatQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.reports.funnel(actor, id);
    return csv(res, `campaign-${id}-funnel.csv`, await this.reports.funnelCsv(actor, id));
  }

  /** Sends, opens and clicks per hour or day, starting at local midnight in `timeZone`. */
  @Get(':id/timeline')
  @CampaignScoped('id')
  async timeline(@Param('id', ParseId) id: string, @Query() query: TimelineQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    const bucket = query.bucket ?? 'day';
    const timeZone = query.timeZone ?? 'UTC';
    if (query.format !== 'csv') return this.reports.timeline(actor, id, bucket, timeZone);
    return csv(res, `campaign-${id}-timeline.csv`, await this.reports.timelineCsv(actor, id, bucket, timeZone));
  }

  /** One contact's path through the campaign: each occasion's outcome, the guard's decisions, the messages and their events. */
  @Get(':id/recipients/:contactId')
  @CampaignScoped('id')
  path(@Param('id', ParseId) id: string, @Param('contactId', ParseId) contactId: string, @CurrentActor() actor: Actor) {
    return this.reports.path(actor, id, contactId);
  }
}


