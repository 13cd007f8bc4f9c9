import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ParseId } from '../common/parse-id.pipe';
import { CampaignReportService } from './campaign-report.service';
import { ReportFormatQuery, TimelineQuery } from './dto/report-query.dto';

/** Read-only: a viewer key may read every report (the default for GET routes). */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports/campaigns')
export class ReportsController {
  constructor(private readonly reports: CampaignReportService) {}

  /** The funnel per channel and variant, with rates and every reason a message did not go. `?format=csv` for a spreadsheet. */
  @Get(':id')
  async funnel(@Param('id', ParseId) id: string, @Query() query: ReportFormatQuery, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.reports.funnel(id);
    return csv(res, `campaign-${id}-funnel.csv`, await this.reports.funnelCsv(id));
  }

  /** Sends, opens and clicks per hour or day, starting at local midnight in `timeZone`. */
  @Get(':id/timeline')
  async timeline(@Param('id', ParseId) id: string, @Query() query: TimelineQuery, @Res({ passthrough: true }) res: Response) {
    const bucket = query.bucket ?? 'day';
    const timeZone = query.timeZone ?? 'UTC';
    if (query.format !== 'csv') return this.reports.timeline(id, bucket, timeZone);
    return csv(res, `campaign-${id}-timeline.csv`, await this.reports.timelineCsv(id, bucket, timeZone));
  }

  /** One contact's path through the campaign: each occasion's outcome, the guard's decisions, the messages and their events. */
  @Get(':id/recipients/:contactId')
  path(@Param('id', ParseId) id: string, @Param('contactId', ParseId) contactId: string) {
    return this.reports.path(id, contactId);
  }
}

function csv(res: Response, filename: string, body: string): string {
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  return body;
}
