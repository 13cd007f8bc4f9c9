import { Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { PersonalDataRegistry } from '../../privacy/personal-data.registry';
import { PrivacyModule } from '../../privacy/privacy.module';
import { directMailPersonalData } from './direct-mail-personal-data';
import { DirectMailController } from './direct-mail.controller';
import { DirectMailRepository } from './direct-mail.repository';
import { DirectMailService } from './direct-mail.service';

/**
 * The direct-mail channel: print-house batches (CSV + PDF) recorded as messages. Letters are
 * worded by LETTER_BODY_RENDERER when a @Global() module provides it, else by a built-in greeting.
 */
@Module({
  imports: [PrivacyModule],
  controllers: [DirectMailController],
  providers: [DirectMailRepository, DirectMailService],
  exports: [DirectMailService],
})
export class DirectMailModule {
  constructor(registry: PersonalDataRegistry, config: AppConfig) {
    registry.declare(directMailPersonalData(config.OUTBOX_DIR));
  }
}
