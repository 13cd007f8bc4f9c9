import { Module } from '@nestjs/common';
import { SegmentsController } from './segments.controller';
import { SegmentsRepository } from './segments.repository';
import { SegmentsService } from './segments.service';

/** Saved audiences: a JSON rule over contacts, memory and consent, compiled to one SQL statement. */
@Module({
  controllers: [SegmentsController],
  providers: [SegmentsService, SegmentsRepository],
  exports: [SegmentsService],
})
export class SegmentsModule {}
