import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { OverviewQuery } from './dto/report-query.dto';
import { OverviewRepository } from './overview.repository';

/** Reports across campaigns: contact fatigue, channel mix, the customer-value overview. Read-only (viewer). */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports')
export class OverviewController {
  constructor(private readonly overview: OverviewRepository) {}

  @Get('fatigue')
  async fatigue(@Query() query: OverviewQuery) {
    const { weeks, timeZone, until } = window(query);
    return { weeks, timeZone, until, rows: await this.overview.fatigue(weeks, timeZone, until) };
  }

  @Get('channel-mix')
  async channelMix(@Query() query: OverviewQuery) {
    const { weeks, timeZone, until } = window(query);
    return { weeks, timeZone, until, rows: await this.overview.channelMix(weeks, timeZone, until) };
  }

  /** ABC, loyalty and frequency classes now (with lifetime value), and their moves per month (heavy → light among them). */
  @Get('value')
  async value(@Query() query: OverviewQuery) {
    const { timeZone, until } = window(query);
    const months = query.months ?? 6;
    return { months, timeZone, until, ...(await this.overview.value(months, timeZone, until)) };
  }
}

function window(query: OverviewQuery) {
  return { weeks: query.weeks ?? 8, timeZone: query.timeZone ?? 'UTC', until: query.until ? new Date(query.until) : new Date() };
}
