import { Inject, Injectable } from '@nestjs/common';
import { MessageChannel, SendOutcome, SMS_CHANNEL, SmsMessage } from '../channel.types';
import { MessagesService } from '../messages/messages.service';
import { SmsOptOuts } from './sms-opt-outs.service';

export interface SmsSendRequest {
  /** E.164. */
  to: string;
  body: string;
  contactId?: string | null;
  purpose?: 'campaign' | 'test' | 'transactional';
  campaignId?: string | null;
  occasionKey?: string | null;
  /** The template the body was rendered from, recorded with the message for reports. */
  template?: { key?: string | null; version?: number | null; variant?: string | null; locale?: string | null };
  /** A messages row the caller already wrote; else one is written here. */
  messageId?: string;
  /** Records the provider's answer instead of MessagesService.recordOutcome (the caller's own bookkeeping). */
  record?: (messageId: string, outcome: SendOutcome) => Promise<void>;
}

export interface SmsSendResult {
  messageId: string;
  provider: string;
  outcome: SendOutcome;
}

/**
 * One SMS, start to finish, for callers that have a text and a number: record it, hand it over,
 * record the answer, and act on what the answer says about the number (21610: opted out).
 */
@Injectable()
export class SmsSender {
  constructor(
    @Inject(SMS_CHANNEL) private readonly channel: MessageChannel<SmsMessage>,
    private readonly messages: MessagesService,
    private readonly optOuts: SmsOptOuts,
  ) {}

  get provider(): string {
    return this.channel.provider;
  }

  async send(request: SmsSendRequest): Promise<SmsSendResult> {
    const messageId = request.messageId ?? await this.messages.begin({
      channel: 'sms',
      provider: this.channel.provider,
      recipient: request.to,
      contactId: request.contactId ?? null,
      purpose: request.purpose ?? 'transactional',
      campaignId: request.campaignId ?? null,
      occasionKey: request.occasionKey ?? null,
      templateKey: request.template?.key ?? null,
      templateVersion: request.template?.version ?? null,
      variant: request.template?.variant ?? null,
      locale: request.template?.locale ?? null,
    });
    let outcome: SendOutcome;
    try {
      outcome = await this.channel.send({ messageId, to: request.to, body: request.body });
    } catch (error) {
      // An adapter that throws has not shown the message did not leave.
      outcome = { status: 'ambiguous', error: error instanceof Error ? error.message : String(error) };
    }
    await (request.record ?? ((id, answer) => this.messages.recordOutcome(id, answer)))(messageId, outcome);
    await this.optOuts.applySendOutcome(request.to, outcome);
    return { messageId, provider: this.channel.provider, outcome };
  }
}
