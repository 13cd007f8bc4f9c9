import { Module } from '@nestjs/common';
import { GuardModule } from './guard/guard.module';
import { InteractionsModule } from './interactions/interactions.module';
import { PreferencesModule } from './preferences/preferences.module';
import { RenderContextModule } from './render-context/render-context.module';
import { TimelineModule } from './timeline/timeline.module';
import { ValueModule } from './value/value.module';

/** The customer archive that never forgets: preferences, interactions, derived value, the goldfish guard. */
@Module({
  imports: [PreferencesModule, InteractionsModule, ValueModule, GuardModule, RenderContextModule, TimelineModule],
})
export class MemoryModule {}
