import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import twilio from 'twilio';
import { DataSource } from 'typeorm';
import { ApiError } from '../../common/errors/api-error';
import { SmsContactsRepository } from './sms-contacts.repository';
import { keywordReply, smsKeyword } from './sms-keywords';
import { SmsMemory } from './sms-memory';
import { SmsOptOuts, TWILIO_ACTOR } from './sms-opt-outs.service';
import { parseInboundMessage, TwilioParams } from './twilio/twilio-callbacks';

/** Consent source for a STOP or START texted by the customer. */
export const SMS_REPLY_SOURCE = 'sms_reply';

/** The summary column's limit; Twilio caps inbound text at 1,600 characters anyway. */
const MAX_SUMMARY = 2000;

/**
 * Texts customers send to our number. STOP-type words revoke SMS consent, START-type words restore
 * it, HELP answers; every text from a known number is kept in the customer's memory as a reply.
 * The consent change and the reply are stored in one transaction.
 */
@Injectable()
export class SmsReplies {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: SmsContactsRepository,
    private readonly optOuts: SmsOptOuts,
    private readonly memory: SmsMemory,
  ) {}

  /** Returns the TwiML to answer Twilio with. */
  async receive(params: TwilioParams): Promise<string> {
    const { message, problems } = parseInboundMessage(params);
    if (!message) throw ApiError.validation(problems);
    const keyword = smsKeyword(message.body);
    const holders = await this.db.transaction(async (tx) => {
      const found = await this.contacts.lockLiveByPhone(tx, message.from);
      for (const contact of found) {
        if (keyword === 'opt_out' || keyword === 'opt_in') {
          await this.optOuts.setIn(tx, contact.id, keyword === 'opt_in', SMS_REPLY_SOURCE, message.body.trim());
        }
        const repliedTo = await this.contacts.latestSmsTo(tx, contact.id, message.from);
        await this.memory.recordIn(
          tx,
          contact.id,
          {
            eventId: `twilio:${message.messageSid}`,
            kind: 'message_replied',
            channel: 'sms',
            // A text that answers nothing we sent still names a message: the inbound one itself.
            messageId: repliedTo ?? inboundMessageUuid(message.messageSid),
            summary: message.body.trim().slice(0, MAX_SUMMARY) || undefined,
            details: { source: SMS_REPLY_SOURCE, keyword, inboundMessageSid: message.messageSid, inReplyTo: repliedTo },
          },
          TWILIO_ACTOR,
        );
      }
      return found;
    });
    const response = new twilio.twiml.MessagingResponse();
    if (keyword) {
      const chinese = message.body.trim() === '退订' || holders.some((c) => c.locale?.toLowerCase().startsWith('zh'));
      response.message(keywordReply(keyword, chinese));
    }
    return response.toString();
  }
}

/** A stable UUID (RFC 9562 version 8) naming an inbound Twilio message, so a replayed webhook names the same one. */
export function inboundMessageUuid(messageSid: string): string {
  const hex = createHash('sha256').update(`twilio-inbound:${messageSid}`).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
