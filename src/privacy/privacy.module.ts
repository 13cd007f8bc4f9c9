import { Module } from '@nestjs/common';
import { ContactErasureService } from './contact-erasure.service';
import { ContactExportService } from './contact-export.service';
import { PersonalDataRegistry } from './personal-data.registry';
import { PersonalDataRepository } from './personal-data.repository';
import { PrivacyController } from './privacy.controller';
import { SuppressionService } from './suppression.service';

/**
 * Suppression, export and erasure. Talks to other modules' tables through SQL and the
 * PersonalDataRegistry, never through their services, so any module can import this one.
 */
@Module({
  controllers: [PrivacyController],
  providers: [SuppressionService, PersonalDataRegistry, PersonalDataRepository, ContactExportService, ContactErasureService],
  exports: [SuppressionService, PersonalDataRegistry],
})
export class PrivacyModule {}
