import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { ApiError } from '../../common/errors/api-error';
import type { InteractionKind } from '../../memory/interactions/interaction-rules';
import { InteractionsService } from '../../memory/interactions/interactions.service';
import type { MessageStatus } from '../messages/message-status';
import { MessagesService } from '../messages/messages.service';
import { SmsOptOuts, TWILIO_ACTOR } from './sms-opt-outs.service';
import { mapTwilioStatus, parseStatusCallback, TwilioParams } from './twilio/twilio-callbacks';
import { isPermanentDeliveryError, TWILIO_OPTED_OUT } from './twilio/twilio-errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The delivery outcomes a customer's memory keeps (the guard skips a number that bounced for good). */
const REMEMBERED: Partial<Record<MessageStatus, InteractionKind>> = {
  delivered: 'message_delivered',
  undelivered: 'message_bounced',
  failed: 'message_bounced',
};

/**
 * Twilio's status callbacks. Every callback for a message we know is kept as an event; the
 * message's state only moves forward (MessagesService), so a repeated or late callback changes nothing.
 */
@Injectable()
export class SmsDeliveryReports {
  private readonly logger = new Logger('SmsDeliveryReports');

  constructor(
    private readonly messages: MessagesService,
    private readonly interactions: InteractionsService,
    private readonly optOuts: SmsOptOuts,
  ) {}

  /** `messageId`: our id from the StatusCallback URL, for a callback that arrives before the SID is recorded. */
  async receive(params: TwilioParams, messageId?: string): Promise<void> {
    const { callback, problems } = parseStatusCallback(params);
    if (!callback) throw ApiError.validation(problems);
    const status = mapTwilioStatus(callback.twilioStatus);
    if (!status) {
      this.logger.warn(`Twilio status "${callback.twilioStatus}" for ${callback.messageSid} is not one we track; ignored`);
      return;
    }
    const failed = status === 'failed' || status === 'undelivered';
    const result = await this.messages.applyReport({
      provider: 'twilio',
      providerMessageId: callback.messageSid,
      status,
      providerStatus: callback.twilioStatus,
      error: failed && callback.errorCode ? { code: callback.errorCode, message: `Twilio error ${callback.errorCode}` } : undefined,
      payload: params,
      ...(messageId && UUID.test(messageId) ? { messageId } : {}),
    });
    // Not ours (another app on the account, or a message whose send was never recorded): answering 200
    // stops Twilio from retrying something we cannot place.
    if (!result.found) return;

    if (failed && callback.errorCode === TWILIO_OPTED_OUT) await this.optOuts.markOptedOut(result.recipient, `message ${callback.messageSid} ${callback.twilioStatus}`);

    const kind = REMEMBERED[status];
    // Remembered when the message is in this state now — also when this is a repeat of the report that
    // put it there, so a memory write lost after the report was stored is made up by Twilio's next try.
    if (!kind || !result.contactId || result.status !== status) return;
    const details: Record<string, unknown> = { provider: 'twilio', providerMessageId: callback.messageSid, twilioStatus: callback.twilioStatus };
    if (kind === 'message_bounced') Object.assign(details, { errorCode: callback.errorCode, permanent: isPermanentDeliveryError(callback.errorCode), phone: result.recipient });
    try {
      await this.interactions.recordOne(
        result.contactId,
        { eventId: `twilio:${callback.messageSid}:${callback.twilioStatus}`, kind, channel: 'sms', messageId: result.messageId, details },
        TWILIO_ACTOR,
      );
    } catch (error) {
      // The contact was deleted since the message left: the report is stored, the memory is gone with them.
      if (error instanceof ApiError && error.status === HttpStatus.NOT_FOUND) return;
      throw error;
    }
  }
}
