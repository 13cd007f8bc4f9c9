import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ChannelsModule } from '../../channels/channels.module';
import { ContactsModule } from '../../contacts/contacts.module';
import { PreferencesModule } from '../../memory/preferences/preferences.module';
import { RenderContextModule } from '../../memory/render-context/render-context.module';
import { PersonalDataRegistry } from '../../privacy/personal-data.registry';
import { PrivacyModule } from '../../privacy/privacy.module';
import { TemplatesModule } from '../../templates/templates.module';
import { PublicModule } from '../public.module';
import { SignupConfirmationMailer } from './signup-confirmation.mailer';
import { EmbedFormTokens, SignupCsrfGuard, SignupFramingMiddleware } from './signup-embedding';
import { SignupController } from './signup.controller';
import { SignupRepository } from './signup.repository';
import { SignupService } from './signup.service';

/** The public sign-up form with double opt-in: GET/POST /signup, GET/POST /signup/confirm/:token. */
@Module({
  imports: [PublicModule, PrivacyModule, ContactsModule, PreferencesModule, RenderContextModule, TemplatesModule, ChannelsModule],
  controllers: [SignupController],
  providers: [SignupService, SignupRepository, SignupConfirmationMailer, EmbedFormTokens, SignupCsrfGuard],
  exports: [SignupConfirmationMailer],
})
export class SignupModule implements NestModule {
  constructor(registry: PersonalDataRegistry) {
    // A request is what a visitor typed and has not confirmed (or has, and it was applied to the
    // archive); nothing in it must outlive an erasure.
    registry.declare({ table: 'signup_requests', orderBy: 't.first_requested_at', erasure: { rule: 'delete' } });
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(SignupFramingMiddleware).forRoutes({ path: 'signup', method: RequestMethod.GET }, { path: 'signup', method: RequestMethod.POST });
  }
}
