import { Body, Controller, Header, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../../../auth/decorators';
import { SmsDeliveryReports } from '../sms-delivery-reports.service';
import { SmsReplies } from '../sms-replies.service';
import type { TwilioParams } from './twilio-callbacks';
import { TwilioSignatureGuard } from './twilio-signature.guard';

/** Twilio's webhooks: public, because Twilio holds no API key; its signature stands in for one. */
@ApiExcludeController()
@Public()
// Twilio posts every status change from a few addresses: the per-IP limit for people would drop them.
@SkipThrottle()
@UseGuards(TwilioSignatureGuard)
@Controller('channels/sms/twilio')
export class TwilioWebhooksController {
  constructor(
    private readonly reports: SmsDeliveryReports,
    private readonly replies: SmsReplies,
  ) {}

  @Post('status')
  @HttpCode(200)
  async status(@Body() params: TwilioParams, @Query('m') messageId?: string): Promise<void> {
    await this.reports.receive(params, messageId);
  }

  @Post('inbound')
  @HttpCode(200)
  @Header('Content-Type', 'text/xml; charset=utf-8')
  inbound(@Body() params: TwilioParams): Promise<string> {
    return this.replies.receive(params);
  }
}
