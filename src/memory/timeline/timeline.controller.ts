import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ParseId } from '../../common/parse-id.pipe';
import { MemoryQuery } from './dto/memory.query';
import { TimelineService } from './timeline.service';

@ApiTags('memory')
@ApiBearerAuth()
@Controller('contacts/:id/memory')
export class TimelineController {
  constructor(private readonly timeline: TimelineService) {}

  @Get()
  memory(@Param('id', ParseId) id: string, @Query() query: MemoryQuery) {
    return this.timeline.memory(id, query.limit);
  }
}
