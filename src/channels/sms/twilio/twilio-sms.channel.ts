import twilio from 'twilio';
import { KeepAliveRequestClient } from './keep-alive-request-client';
import type { MessageChannel, SendOutcome, SmsMessage } from '../../channel.types';
import { isE164, notE164 } from '../sms-address';
import { analyzeSms } from '../sms-encoding';
import { outcomeOfTwilioError } from './twilio-errors';
import type { TwilioSettings } from './twilio-settings';

export interface TwilioChannelOptions {
  /** How long to wait for Twilio's answer; past it the message may or may not have been taken. */
  timeoutMs?: number;
  /** Connections to Twilio at most (the worker's concurrency); more requests wait for one. */
  maxSockets?: number;
}

/**
 * Sends through Twilio's Messages API with the official client. It only says what happened; what
 * follows from an answer (an opted-out number, a retry) is the caller's business, so the adapter
 * stays free of the database. The client builds each request and reads each answer; our
 * KeepAliveRequestClient carries them (twilio's default transport costs ~0.5 ms of CPU a message).
 */
export class TwilioSmsChannel implements MessageChannel<SmsMessage> {
  readonly kind = 'sms' as const;
  readonly provider = 'twilio';
  private readonly client: twilio.Twilio;
  private readonly transport: KeepAliveRequestClient;

  constructor(
    private readonly settings: TwilioSettings,
    options: TwilioChannelOptions = {},
  ) {
    // It retries nothing: a retry is the delivery layer's decision, made with the message's history.
    this.transport = new KeepAliveRequestClient({ timeoutMs: options.timeoutMs ?? 15_000, maxSockets: options.maxSockets });
    this.client = twilio(settings.accountSid, settings.authToken, { httpClient: this.transport });
    // The Api domain is created once and kept, so its base URL can point at a proxy or a local test server.
    if (settings.apiBaseUrl) this.client.api.baseUrl = settings.apiBaseUrl;
  }

  async send(message: SmsMessage): Promise<SendOutcome> {
    const analysis = analyzeSms(message.body);
    const details: Record<string, unknown> = { encoding: analysis.encoding, segments: analysis.segments, characters: analysis.characters };
    if (!isE164(message.to)) return { ...notE164(message.to), details };
    try {
      const created = await this.client.messages.create({
        to: message.to,
        body: message.body,
        // Our id rides along (Twilio signs the whole URL): a callback that overtakes our record of
        // the SID can still find its message.
        statusCallback: `${this.settings.statusCallbackUrl}?m=${encodeURIComponent(message.messageId)}`,
        ...(this.settings.messagingServiceSid ? { messagingServiceSid: this.settings.messagingServiceSid } : { from: this.settings.from! }),
      });
      return {
        status: 'sent',
        providerMessageId: created.sid,
        details: { ...details, twilioStatus: created.status, twilioSegments: Number(created.numSegments) },
      };
    } catch (error) {
      return { ...outcomeOfTwilioError(error), details };
    }
  }

  /** Nest calls it at shutdown (the adapter is a provider's value): idle connections to Twilio are closed. */
  onApplicationShutdown(): void {
    this.transport.destroy();
  }
}
