import { Logger, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ContactsModule } from '../../contacts/contacts.module';
import { MessageChannel, SMS_CHANNEL, SmsMessage } from '../channel.types';
import { MessagesModule } from '../messages/messages.module';
import { FileSmsChannel } from './file-sms.channel';
import { SmsContactsRepository } from './sms-contacts.repository';
import { SmsDeliveryReports } from './sms-delivery-reports.service';
import { SmsMemory } from './sms-memory';
import { SmsOptOuts } from './sms-opt-outs.service';
import { SmsReplies } from './sms-replies.service';
import { SmsSender } from './sms-sender.service';
import { TwilioFormParser } from './twilio/twilio-form.middleware';
import { TWILIO_SETTINGS, TwilioSettings, twilioSettings } from './twilio/twilio-settings';
import { TwilioSignatureGuard } from './twilio/twilio-signature.guard';
import { TwilioSmsChannel } from './twilio/twilio-sms.channel';
import { TwilioWebhooksController } from './twilio/twilio-webhooks.controller';

function smsChannel(config: AppConfig, settings: TwilioSettings | null): MessageChannel<SmsMessage> {
  const logger = new Logger('SmsChannel');
  if (!settings) {
    const channel = new FileSmsChannel(config.OUTBOX_DIR);
    logger.log(`SMS provider: file (no Twilio configured); messages are appended to ${channel.file}`);
    return channel;
  }
  const sender = settings.messagingServiceSid ? `messaging service ${settings.messagingServiceSid}` : `number ${settings.from}`;
  logger.log(
    `SMS provider: twilio (account ${settings.accountSid}, ${sender}, API ${settings.apiBaseUrl ?? 'https://api.twilio.com'}); ` +
      `Twilio must reach ${settings.statusCallbackUrl} — webhooks are verified against PUBLIC_BASE_URL`,
  );
  return new TwilioSmsChannel(settings, { maxSockets: config.WORKER_CONCURRENCY });
}

/** SMS: the adapter the configuration chose (Twilio or the file outbox), and Twilio's webhooks. */
@Module({
  imports: [MessagesModule, ContactsModule],
  controllers: [TwilioWebhooksController],
  providers: [
    { provide: TWILIO_SETTINGS, inject: [AppConfig], useFactory: twilioSettings },
    { provide: SMS_CHANNEL, inject: [AppConfig, TWILIO_SETTINGS], useFactory: smsChannel },
    TwilioSignatureGuard,
    SmsContactsRepository,
    SmsMemory,
    SmsOptOuts,
    SmsDeliveryReports,
    SmsReplies,
    SmsSender,
  ],
  exports: [SMS_CHANNEL, SmsSender, SmsOptOuts],
})
export class SmsChannelModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(TwilioFormParser).forRoutes(TwilioWebhooksController);
  }
}
