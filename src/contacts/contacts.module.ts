import { Module } from '@nestjs/common';
import { PrivacyModule } from '../privacy/privacy.module';
import { ConsentService } from './consent.service';
import { ContactsController } from './contacts.controller';
import { ContactsRepository } from './contacts.repository';
import { ContactsService } from './contacts.service';

@Module({
  imports: [PrivacyModule],
  controllers: [ContactsController],
  providers: [ContactsService, ContactsRepository, ConsentService],
  exports: [ContactsService, ConsentService],
})
export class ContactsModule {}
