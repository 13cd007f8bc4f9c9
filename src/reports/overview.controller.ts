import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, CurrentActor } from '../auth/actor';
import { CampaignScoped } from '../auth/decorators';
import { csv } from './csv-response';
import { ParseId } from '../common/parse-id.pipe';
import { OverviewQuery, SegmentReportQuery } from './dto/report-query.dto';
import { OverviewService } from './overview.service';

/** Reports across campaigns: contact fatigue, channel mix, the customer-value overview. Read-only (viewer). `?format=csv` for a spreadsheet. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports')
export class OverviewController {
  constructor(private readonly overview: OverviewService) {}

  /** Campaign messages per contact and local week (only the key's campaigns for a campaign-scoped key). */
  @Get('fatigue')
  @CampaignScoped()
  async fatigue(@Query() query: OverviewQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.overview.fatigue(actor, query);
    return csv(res, 'fatigue.csv', await this.overview.fatigueCsv(actor, query));
  }

  /** Campaign messages per local week and channel (only the key's campaigns for a campaign-scoped key). */
  @Get('channel-mix')
  @CampaignScoped()
  async channelMix(@Query() query: OverviewQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.overview.channelMix(actor, query);
    return csv(res, 'channel-mix.csv', await this.overview.channelMixCsv(actor, query));
  }

  /** ABC, loyalty and frequency classes now (with lifetime value), and their moves per month. The whole base: 403 for a campaign-scoped key. */
  @Get('value')
  async value(@Query() query: OverviewQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.overview.value(actor, query);
    return csv(res, 'value.csv', await this.overview.valueCsv(actor, query));
  }

  /** Per segment: the campaigns that targeted it and what they achieved together (only the key's campaigns for a scoped key). */
  @Get('segments')
  @CampaignScoped()
  async segments(@Query() query: SegmentReportQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.overview.segments(actor, query);
    return csv(res, 'segments.csv', await this.overview.segmentsCsv(actor, query));
  }

  @Get('segments/:id')
  @CampaignScoped()
  async segment(@Param('id', ParseId) id: string, @Query() query: SegmentReportQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.overview.segment(actor, id, query);
    return csv(res, `segment-${id}.csv`, await this.overview.segmentCsv(actor, id, query));
  }

  /** Per live segment: members now, lifetime value (total, mean, median), ABC classes, heavy → light movers in the last `months`. The whole base: 403 for a scoped key. */
  @Get('value/segments')
  async valueBySegment(@Query() query: OverviewQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.overview.valueBySegment(actor, query);
    return csv(res, 'value-by-segment.csv', await this.overview.valueBySegmentCsv(actor, query));
  }
}
