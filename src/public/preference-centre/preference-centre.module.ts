import { Module } from '@nestjs/common';
import { ContactsModule } from '../../contacts/contacts.module';
import { PreferencesModule } from '../../memory/preferences/preferences.module';
import { PublicModule } from '../public.module';
import { PreferenceCentreController } from './preference-centre.controller';
import { PreferenceCentreService } from './preference-centre.service';

@Module({
  imports: [PublicModule, PreferencesModule, ContactsModule],
  controllers: [PreferenceCentreController],
  providers: [PreferenceCentreService],
})
export class PreferenceCentreModule {}
