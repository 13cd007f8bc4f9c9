import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../auth/actor';
import { RequireRole } from '../auth/decorators';
import { ParseId } from '../common/parse-id.pipe';
import { CreateSegmentDto, ListSegmentsQuery, PreviewOptionsQuery, PreviewSegmentDto, UpdateSegmentDto } from './dto/segment.dto';
import { SegmentsService } from './segments.service';

@ApiTags('segments')
@ApiBearerAuth()
@Controller('segments')
export class SegmentsController {
  constructor(private readonly segments: SegmentsService) {}

  /** A read that needs a body: whoever may read contacts may see who a rule would reach. */
  @Post('preview')
  @HttpCode(200)
  @RequireRole('viewer')
  preview(@Body() dto: PreviewSegmentDto) {
    return this.segments.preview(dto.rule, { sampleSize: dto.sampleSize, asOf: dto.asOf });
  }

  @Post()
  create(@Body() dto: CreateSegmentDto, @CurrentActor() actor: Actor) {
    return this.segments.create(dto, actor);
  }

  @Get()
  list(@Query() query: ListSegmentsQuery) {
    return this.segments.list(query);
  }

  @Get(':id')
  get(@Param('id', ParseId) id: string) {
    return this.segments.get(id);
  }

  @Get(':id/preview')
  previewSaved(@Param('id', ParseId) id: string, @Query() query: PreviewOptionsQuery) {
    return this.segments.previewSaved(id, query);
  }

  @Patch(':id')
  update(@Param('id', ParseId) id: string, @Body() dto: UpdateSegmentDto, @CurrentActor() actor: Actor) {
    return this.segments.update(id, dto, actor);
  }

  /** Archives the segment (campaigns that used it still show it); its name can be used again. */
  @Delete(':id')
  @HttpCode(204)
  async archive(@Param('id', ParseId) id: string, @CurrentActor() actor: Actor) {
    await this.segments.archive(id, actor);
  }
}
