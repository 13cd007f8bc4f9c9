/**
 * The contract every channel adapter keeps: hand one message to its provider and say what happened,
 * in terms the delivery layer can act on (retry, give up, or record as sent). Parsing a provider's
 * callbacks lives beside the adapter that sent the message, in the same folder.
 */
export type ChannelKind = 'email' | 'sms' | 'mail';

export interface EmailMessage {
  /** Our id of the message (messages.id); it becomes the Message-ID's local part. */
  messageId: string;
  to: string;
  /** Display name for the To header, e.g. "Wei Li". */
  toName?: string | null;
  subject: string;
  html: string;
  /** The HTML's CSS already sits on its elements (the template renderer did it); else the channel inlines it. */
  cssInlined?: boolean;
  /** Plain-text alternative; generated from the HTML when absent. */
  text?: string | null;
  /** Public one-click unsubscribe URL carrying a signed token (RFC 8058). */
  unsubscribeUrl?: string | null;
  /** Extra headers, e.g. X-Campaign. Never overrides the ones the channel sets itself. */
  headers?: Record<string, string>;
}

export interface SmsMessage {
  messageId: string;
  /** E.164. */
  to: string;
  body: string;
}

/**
 * - `sent`: the provider accepted it (SMTP 250, Twilio 201, file written).
 * - `transient`: try again later (SMTP 4xx, network error before the provider accepted, Twilio 429/5xx).
 * - `permanent`: never retry (SMTP 5xx, invalid number, opted-out number).
 * - `ambiguous`: the provider may have taken it (connection lost after DATA); retrying risks a
 *   duplicate, so the delivery layer decides.
 */
export type SendOutcome =
  | { status: 'sent'; providerMessageId: string; details?: Record<string, unknown> }
  | { status: 'transient' | 'permanent' | 'ambiguous'; error: string; code?: string; details?: Record<string, unknown> };

export interface MessageChannel<M> {
  readonly kind: ChannelKind;
  /** Which provider is configured: 'smtp' | 'file' | 'twilio' | … — recorded on every message. */
  readonly provider: string;
  send(message: M): Promise<SendOutcome>;
}

/** Injection tokens: the e-mail and SMS modules provide the adapter their configuration chose. */
export const EMAIL_CHANNEL = Symbol('EMAIL_CHANNEL');
export const SMS_CHANNEL = Symbol('SMS_CHANNEL');
