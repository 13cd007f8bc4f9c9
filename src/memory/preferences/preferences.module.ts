import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PreferenceKey } from './preference-key.entity';
import { PreferenceKeysController } from './preference-keys.controller';
import { PreferenceKeysService } from './preference-keys.service';
import { PreferenceStatement } from './preference-statement.entity';
import { PreferencesController } from './preferences.controller';
import { PreferencesRepository } from './preferences.repository';
import { PreferencesService } from './preferences.service';

/** What customers told us: the key registry and the append-only statements. */
@Module({
  imports: [TypeOrmModule.forFeature([PreferenceKey, PreferenceStatement])],
  controllers: [PreferenceKeysController, PreferencesController],
  providers: [PreferenceKeysService, PreferencesService, PreferencesRepository],
  exports: [PreferencesService, PreferenceKeysService],
})
export class PreferencesModule {}
