import { Module } from '@nestjs/common';
import { PreparedStatements } from '../common/prepared-statements';
import { PrivacyModule } from '../privacy/privacy.module';
import { ConsentService } from './consent.service';
import { ContactsController } from './contacts.controller';
import { ContactsRepository } from './contacts.repository';
import { ContactsService } from './contacts.service';
import { ContactImportController } from './import/contact-import.controller';
import { ContactImportProcessor } from './import/contact-import.processor';
import { ContactImportRepository } from './import/contact-import.repository';
import { ContactImportRunner } from './import/contact-import.runner';
import { ContactImportService } from './import/contact-import.service';
import { ImportBatchPlanner } from './import/import-batch.planner';
import { ImportJobRepository } from './import/import-job.repository';

@Module({
  imports: [PrivacyModule],
  controllers: [ContactsController, ContactImportController],
  providers: [
    ContactsService, ContactsRepository, ConsentService, PreparedStatements,
    ContactImportService, ContactImportRunner, ContactImportProcessor, ImportBatchPlanner, ContactImportRepository, ImportJobRepository,
  ],
  exports: [ContactsService, ConsentService, ContactImportService],
})
export class ContactsModule {}
