import { Module } from '@nestjs/common';
import { DirectMailModule } from './direct-mail/direct-mail.module';
import { EmailChannelModule } from './email/email-channel.module';
import { MessagesModule } from './messages/messages.module';
import { OutboundSender } from './outbound/outbound-sender';
import { TestSendController } from './outbound/test-send.controller';
import { TestSendService } from './outbound/test-send.service';
import { TemplatesModule } from '../templates/templates.module';
import { SmsChannelModule } from './sms/sms-channel.module';
import { TemplateLetterBodyModule } from './direct-mail/template-letter-body.module';

/** The three channels, the record of what left through them, and the one way to send a message. */
@Module({
  imports: [MessagesModule, EmailChannelModule, SmsChannelModule, DirectMailModule, TemplateLetterBodyModule, TemplatesModule],
  controllers: [TestSendController],
  providers: [OutboundSender, TestSendService],
  exports: [OutboundSender, MessagesModule, EmailChannelModule, SmsChannelModule, DirectMailModule],
})
export class ChannelsModule {}
