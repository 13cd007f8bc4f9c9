import { Body, Controller, Get, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, CurrentActor } from '../../auth/actor';
import { ParseId } from '../../common/parse-id.pipe';
import { DirectMailService } from './direct-mail.service';
import { CreateDirectMailBatchDto } from './dto/create-direct-mail-batch.dto';
import { ListDirectMailBatchesQuery } from './dto/list-direct-mail-batches.query';

@ApiTags('direct-mail')
@ApiBearerAuth()
@Controller('direct-mail/batches')
export class DirectMailController {
  constructor(private readonly directMail: DirectMailService) {}

  /** Renders a print-house batch now and answers with its summary (marketer). */
  @Post()
  create(@Body() dto: CreateDirectMailBatchDto, @CurrentActor() actor: Actor) {
    const { asOf, ...rest } = dto;
    return this.directMail.createBatch({ ...rest, asOf: asOf ? new Date(asOf) : undefined }, undefined, actor);
  }

  @Get()
  list(@Query() query: ListDirectMailBatchesQuery) {
    return this.directMail.list(query.limit, query.cursor);
  }

  /** Counts, file hashes and every skipped contact with its reason. */
  @Get(':id')
  get(@Param('id', ParseId) id: string) {
    return this.directMail.get(id);
  }

  @Get(':id/letters.csv')
  @ApiProduces('text/csv')
  csv(@Param('id', ParseId) id: string, @Res({ passthrough: true }) res: Response) {
    return this.file(id, 'csv', res);
  }

  @Get(':id/letters.pdf')
  @ApiProduces('application/pdf')
  pdf(@Param('id', ParseId) id: string, @Res({ passthrough: true }) res: Response) {
    return this.file(id, 'pdf', res);
  }

  private async file(id: string, which: 'csv' | 'pdf', res: Response): Promise<StreamableFile> {
    const file = await this.directMail.download(id, which);
    res.setHeader('ETag', `"${file.sha256}"`);
    return new StreamableFile(file.stream, { type: file.contentType, length: file.bytes, disposition: `attachment; filename="${file.filename}"` });
  }
}
