import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../auth/actor';
import { RequireRole } from '../../auth/decorators';
import { ParseId } from '../../common/parse-id.pipe';
import { ListSignalsQuery } from './dto/list-signals.query';
import { ValueInsightsService } from './value-insights.service';
import { ValueService } from './value.service';

@ApiTags('customer value')
@ApiBearerAuth()
@Controller()
export class ValueController {
  constructor(
    private readonly value: ValueService,
    private readonly insights: ValueInsightsService,
  ) {}

  /** Runs the base-wide recompute now (it also runs daily); waits if one is already running. */
  @Post('memory/value/recompute')
  @RequireRole('marketer')
  @HttpCode(200)
  recompute(@CurrentActor() actor: Actor) {
    return this.value.recomputeBaseAsRequested(actor);
  }

  /** Class changes to act on, oldest first: ?dimension=frequency_class&to=light&since=2026-01-01. */
  @Get('memory/value/signals')
  signals(@Query() query: ListSignalsQuery) {
    return this.insights.signals(query);
  }

  @Get('memory/value/distribution')
  distribution() {
    return this.insights.distribution();
  }

  @Get('contacts/:id/value')
  ofContact(@Param('id', ParseId) id: string) {
    return this.insights.ofContact(id);
  }
}
