import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, CurrentActor } from '../../auth/actor';
import { ParseId } from '../../common/parse-id.pipe';
import { InteractionBatchDto, InteractionInputDto } from './dto/interaction-input.dto';
import { ListInteractionsQuery } from './dto/list-interactions.query';
import { InteractionsService } from './interactions.service';

/** 201 when something was stored, 200 when the request only replayed events already stored. */
@ApiTags('interactions')
@ApiBearerAuth()
@Controller()
export class InteractionsController {
  constructor(private readonly interactions: InteractionsService) {}

  @Post('contacts/:id/interactions')
  async record(@Param('id', ParseId) id: string, @Body() dto: InteractionInputDto, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    const { interaction, created } = await this.interactions.recordOne(id, dto, actor);
    res.status(created ? 201 : 200);
    return interaction;
  }

  @Get('contacts/:id/interactions')
  list(@Param('id', ParseId) id: string, @Query() query: ListInteractionsQuery) {
    return this.interactions.list(id, query);
  }

  @Post('interactions/batch')
  async recordBatch(@Body() dto: InteractionBatchDto, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    const outcome = await this.interactions.recordBatch(dto.items, actor);
    res.status(outcome.created > 0 ? 201 : 200);
    return outcome;
  }
}
