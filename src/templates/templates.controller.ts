import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../auth/actor';
import { CreateTemplateDto, ListTemplatesQuery, PreviewTemplateDto, RollbackTemplateDto, UpdateTemplateDto } from './dto/template.dto';
import { TemplateEditorService } from './template-editor.service';
import { ParseTemplateId } from './template-id.pipe';
import { TemplatePreviewService } from './template-preview.service';

/**
 * Database templates are edited here (draft → publish → roll back); file templates (ids such as
 * `file:email:birthday.en.a`) are listed, shown and previewed, never changed.
 */
@ApiTags('templates')
@ApiBearerAuth()
@Controller('templates')
export class TemplatesController {
  constructor(
    private readonly editor: TemplateEditorService,
    private readonly previews: TemplatePreviewService,
  ) {}

  @Get()
  list(@Query() query: ListTemplatesQuery) {
    return this.editor.list(query);
  }

  @Get(':id')
  get(@Param('id', ParseTemplateId) id: string) {
    return this.editor.get(id);
  }

  @Get(':id/versions')
  versions(@Param('id', ParseTemplateId) id: string) {
    return this.editor.versions(id);
  }

  @Post()
  create(@Body() dto: CreateTemplateDto, @CurrentActor() actor: Actor) {
    return this.editor.create(dto, actor);
  }

  @Patch(':id')
  update(@Param('id', ParseTemplateId) id: string, @Body() dto: UpdateTemplateDto, @CurrentActor() actor: Actor) {
    return this.editor.update(id, dto, actor);
  }

  @Post(':id/publish')
  @HttpCode(200)
  publish(@Param('id', ParseTemplateId) id: string, @CurrentActor() actor: Actor) {
    return this.editor.publish(id, actor);
  }

  @Post(':id/rollback')
  @HttpCode(200)
  rollback(@Param('id', ParseTemplateId) id: string, @Body() dto: RollbackTemplateDto, @CurrentActor() actor: Actor) {
    return this.editor.rollback(id, dto.version, actor);
  }

  /** Archives: versions stay for the record; the template is no longer rendered. */
  @Delete(':id')
  @HttpCode(204)
  async archive(@Param('id', ParseTemplateId) id: string, @CurrentActor() actor: Actor) {
    await this.editor.archive(id, actor);
  }

  /** Renders for a contact or sample data without sending; nothing is stored. */
  @Post(':id/preview')
  @HttpCode(200)
  preview(@Param('id', ParseTemplateId) id: string, @Body() dto: PreviewTemplateDto) {
    return this.previews.preview(id, dto);
  }
}
