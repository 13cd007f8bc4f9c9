import { Module } from '@nestjs/common';
import { ContactsModule } from '../../contacts/contacts.module';
import { PreferencesModule } from '../../memory/preferences/preferences.module';
import { PublicModule } from '../public.module';
import { UnsubscribeController } from './unsubscribe.controller';
import { UnsubscribeService } from './unsubscribe.service';

@Module({
  imports: [PublicModule, PreferencesModule, ContactsModule],
  controllers: [UnsubscribeController],
  providers: [UnsubscribeService],
})
export class UnsubscribeModule {}
