import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Actor, CurrentActor } from '../../auth/actor';
import { ParseId } from '../../common/parse-id.pipe';
import { ContactImportService } from './contact-import.service';
import { ImportErrorsQuery, ImportUploadQuery } from './dto/import-queries';

@ApiTags('contacts')
@ApiBearerAuth()
@Controller('contacts')
export class ContactImportController {
  constructor(private readonly imports: ContactImportService) {}

  @Post('import')
  @HttpCode(202)
  @ApiConsumes('text/csv', 'application/x-ndjson')
  @ApiOperation({ summary: 'Upload a CSV or JSON-lines file of contacts; the import runs in the background' })
  async start(@Req() request: Request, @Res({ passthrough: true }) response: Response, @Query() query: ImportUploadQuery, @CurrentActor() actor: Actor) {
    const job = await this.imports.startUpload(request, response, query.format, actor);
    response.setHeader('Location', job.statusUrl);
    return job;
  }

  @Get('imports/:id')
  get(@Param('id', ParseId) id: string) {
    return this.imports.get(id);
  }

  @Get('imports/:id/errors')
  errors(@Param('id', ParseId) id: string, @Query() query: ImportErrorsQuery) {
    return this.imports.errors(id, query);
  }
}
