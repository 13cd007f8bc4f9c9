import type { ErrorDetail } from '../../../common/errors/api-error';
import type { MessageStatus } from '../../messages/message-status';

/** A Twilio webhook body as the form parser leaves it (a repeated field becomes an array). */
export type TwilioParams = Record<string, string | string[] | undefined>;

/**
 * Twilio's MessageStatus in our terms. The ones before hand-over to the carrier are all "queued";
 * "canceled" (a scheduled message withdrawn) never left, so it failed. "receiving"/"received"
 * belong to inbound messages and "partially_delivered" to channels we do not send on.
 */
const STATUS_MAP: Record<string, MessageStatus> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
  read: 'read',
};

export function mapTwilioStatus(twilioStatus: string): MessageStatus | null {
  return Object.prototype.hasOwnProperty.call(STATUS_MAP, twilioStatus) ? STATUS_MAP[twilioStatus] : null;
}

export interface TwilioStatusCallback {
  messageSid: string;
  /** Twilio's own word, lower case. */
  twilioStatus: string;
  errorCode: string | null;
  to: string | null;
}

export interface TwilioInboundMessage {
  messageSid: string;
  from: string;
  to: string | null;
  body: string;
}

const MESSAGE_SID = /^(SM|MM)[0-9a-f]{32}$/i;

export function parseStatusCallback(params: TwilioParams): { callback?: TwilioStatusCallback; problems: ErrorDetail[] } {
  const problems: ErrorDetail[] = [];
  // Older accounts still send SmsSid/SmsStatus beside (or instead of) the Message* names.
  const messageSid = single(params.MessageSid) ?? single(params.SmsSid);
  const twilioStatus = (single(params.MessageStatus) ?? single(params.SmsStatus))?.toLowerCase();
  if (!messageSid || !MESSAGE_SID.test(messageSid)) problems.push({ field: 'MessageSid', problem: 'MessageSid must be a Twilio message SID (SM or MM and 32 hex digits)' });
  if (!twilioStatus) problems.push({ field: 'MessageStatus', problem: 'MessageStatus is required' });
  const errorCode = single(params.ErrorCode)?.trim() || null;
  if (errorCode !== null && !/^\d{1,6}$/.test(errorCode)) problems.push({ field: 'ErrorCode', problem: 'ErrorCode must be a Twilio error number' });
  if (problems.length > 0) return { problems };
  return { callback: { messageSid: messageSid!, twilioStatus: twilioStatus!, errorCode, to: single(params.To) ?? null }, problems };
}

export function parseInboundMessage(params: TwilioParams): { message?: TwilioInboundMessage; problems: ErrorDetail[] } {
  const problems: ErrorDetail[] = [];
  const messageSid = single(params.MessageSid) ?? single(params.SmsMessageSid) ?? single(params.SmsSid);
  const from = single(params.From);
  const body = single(params.Body) ?? '';
  if (!messageSid || !MESSAGE_SID.test(messageSid)) problems.push({ field: 'MessageSid', problem: 'MessageSid must be a Twilio message SID (SM or MM and 32 hex digits)' });
  if (!from) problems.push({ field: 'From', problem: 'From is required' });
  if (problems.length > 0) return { problems };
  return { message: { messageSid: messageSid!, from: from!, to: single(params.To) ?? null, body }, problems };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
