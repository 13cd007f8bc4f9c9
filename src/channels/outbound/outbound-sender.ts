import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, publicBaseUrl } from '../../config/app-config';
import { SignedTokens } from '../../common/signed-tokens';
import { EMAIL_CHANNEL, EmailMessage, MessageChannel, SendOutcome } from '../channel.types';
import { MessagesService } from '../messages/messages.service';
import { SmsSender } from '../sms/sms-sender.service';
import { EmailTracking } from '../../tracking/email-tracking.service';

/** What a rendered template hands to a channel (the templates module's RenderedContent fits). */
export interface RenderedForChannel {
  templateKey?: string | null;
  version?: number | null;
  variant?: string | null;
  locale?: string | null;
  subject?: string;
  html?: string;
  cssInlined?: boolean;
  text?: string;
}

export interface OutboundRequest {
  /** E-mail address or E.164 number. */
  to: string;
  toName?: string | null;
  contactId?: string | null;
  campaignId?: string | null;
  occasionKey?: string | null;
  purpose: 'campaign' | 'test' | 'transactional';
  rendered: RenderedForChannel;
  headers?: Record<string, string>;
  /** The one-click unsubscribe URL; computed for the contact when absent. */
  unsubscribeUrl?: string | null;
  /** A messages row the caller already wrote (in its own transaction); else one is written here. */
  messageId?: string;
  /**
   * Stays the same when the same message is tried again (the occasion's claim): it becomes the
   * e-mail's Message-ID, so a recipient's mail client shows a repeat after a crash only once.
   */
  idempotencyKey?: string | null;
  /** Records the provider's answer; the delivery layer writes it together with its own state. */
  record?: (messageId: string, outcome: SendOutcome) => Promise<void>;
}

export interface OutboundResult {
  messageId: string;
  provider: string;
  outcome: SendOutcome;
}

/** How long an unsubscribe link in a sent e-mail keeps working: mail is read late, and often. */
const UNSUBSCRIBE_LINK_DAYS = 400;
const PREFERENCES_LINK_DAYS = 90;

/**
 * One message, start to finish: record it ('sending'), hand it to the configured channel, record the
 * provider's answer. The record is written before the hand-over so that a crash in between leaves a
 * 'sending' row to reconcile, never a message nobody knows was sent.
 */
@Injectable()
export class OutboundSender {
  constructor(
    @Inject(EMAIL_CHANNEL) private readonly email: MessageChannel<EmailMessage>,
    private readonly sms: SmsSender,
    private readonly messages: MessagesService,
    private readonly tokens: SignedTokens,
    private readonly config: AppConfig,
    private readonly tracking: EmailTracking,
  ) {}

  async sendEmail(request: OutboundRequest): Promise<OutboundResult> {
    const { rendered } = request;
    if (!rendered.subject || !rendered.html) throw new Error('An e-mail needs a rendered subject and HTML body');
    const messageId =
      request.messageId ?? (await this.messages.begin({ ...this.recordOf(request), channel: 'email', provider: this.email.provider, subject: rendered.subject }));
    // Campaign mail only: a test send's clicks are staff checking links, not the customer's.
    const html =
      request.purpose === 'campaign' && request.contactId
        ? await this.tracking.track(rendered.html!, { messageId, contactId: request.contactId, campaignId: request.campaignId ?? null })
        : rendered.html!;
    const outcome = await this.handOver(() =>
      this.email.send({
        messageId: request.idempotencyKey ?? messageId,
        to: request.to,
        toName: request.toName,
        subject: rendered.subject!,
        html,
        cssInlined: rendered.cssInlined,
        text: rendered.text ?? null,
        unsubscribeUrl: request.unsubscribeUrl ?? (request.contactId ? this.unsubscribeUrl(request.contactId, 'email') : null),
        headers: request.headers,
      }),
    );
    await (request.record ?? ((id, answer) => this.messages.recordOutcome(id, answer)))(messageId, outcome);
    return { messageId, provider: this.email.provider, outcome };
  }

  /** SMS has its own sender because a refusal can carry news about the number (21610: opted out). */
  sendSms(request: OutboundRequest): Promise<OutboundResult> {
    const body = request.rendered.text;
    if (!body) throw new Error('An SMS needs a rendered text body');
    const { rendered } = request;
    return this.sms.send({
      to: request.to,
      body,
      contactId: request.contactId,
      purpose: request.purpose,
      campaignId: request.campaignId,
      occasionKey: request.occasionKey,
      template: { key: rendered.templateKey, version: rendered.version, variant: rendered.variant, locale: rendered.locale },
      messageId: request.messageId,
      record: request.record,
    });
  }

  /** What a messages row for this request holds, for a caller that writes it in its own transaction. */
  newMessage(request: OutboundRequest, channel: 'email' | 'sms') {
    return {
      ...this.recordOf(request),
      channel,
      provider: channel === 'email' ? this.email.provider : this.sms.provider,
      subject: channel === 'email' ? (request.rendered.subject ?? null) : null,
    };
  }

  /**
   * The public one-click unsubscribe link for one contact and channel (RFC 8058). It names no
   * message, so the same link can be written into the body before the message is recorded.
   */
  unsubscribeUrl(contactId: string, channel: 'email' | 'sms'): string {
    const token = this.tokens.sign({
      purpose: 'unsubscribe',
      contactId,
      data: { ch: channel },
      expiresAt: new Date(Date.now() + UNSUBSCRIBE_LINK_DAYS * 86_400_000),
    });
    return `${publicBaseUrl(this.config)}/unsubscribe/${token}`;
  }

  /**
   * The contact's own preference-centre link. It opens that contact's answers and nothing else, and
   * expires sooner than the unsubscribe link because it shows and changes personal data.
   */
  preferencesUrl(contactId: string): string {
    const token = this.tokens.sign({ purpose: 'preferences', contactId, expiresAt: new Date(Date.now() + PREFERENCES_LINK_DAYS * 86_400_000) });
    return `${publicBaseUrl(this.config)}/preferences/${token}`;
  }

  private recordOf(request: Omit<OutboundRequest, 'to'> & { to: string }) {
    return {
      recipient: request.to,
      contactId: request.contactId ?? null,
      campaignId: request.campaignId ?? null,
      occasionKey: request.occasionKey ?? null,
      purpose: request.purpose,
      templateKey: request.rendered.templateKey ?? null,
      templateVersion: request.rendered.version ?? null,
      variant: request.rendered.variant ?? null,
      locale: request.rendered.locale ?? null,
    };
  }

  /** An adapter that throws instead of answering has still not been shown to deliver: ambiguous. */
  private async handOver(send: () => Promise<SendOutcome>): Promise<SendOutcome> {
    try {
      return await send();
    } catch (error) {
      return { status: 'ambiguous', error: error instanceof Error ? error.message : String(error) };
    }
  }
}
