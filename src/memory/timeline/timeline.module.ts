import { Module } from '@nestjs/common';
import { PreferencesModule } from '../preferences/preferences.module';
import { TimelineController } from './timeline.controller';
import { TimelineRepository } from './timeline.repository';
import { TimelineService } from './timeline.service';

/** GET /contacts/:id/memory; the interactions module (interactions, open topics) is global. */
@Module({
  imports: [PreferencesModule],
  controllers: [TimelineController],
  providers: [TimelineService, TimelineRepository],
})
export class TimelineModule {}
