import { Module } from '@nestjs/common';
import { PreferencesModule } from '../preferences/preferences.module';
import { RenderContextRepository } from './render-context.repository';
import { RenderContextService } from './render-context.service';

/** What templates render from; the interactions module (open topics) is global. */
@Module({
  imports: [PreferencesModule],
  providers: [RenderContextService, RenderContextRepository],
  exports: [RenderContextService],
})
export class RenderContextModule {}
