import { AppConfig, publicBaseUrl } from '../../../config/app-config';

export const TWILIO_STATUS_PATH = '/channels/sms/twilio/status';
export const TWILIO_INBOUND_PATH = '/channels/sms/twilio/inbound';

/**
 * Twilio as configured, or null when it is not (then SMS go to the file outbox and the webhook
 * routes answer 404). Twilio signs each webhook for the URL it called, so PUBLIC_BASE_URL must be
 * exactly the address Twilio uses, proxy and all.
 */
export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** A sender number (E.164), or null when a messaging service sends. */
  from: string | null;
  messagingServiceSid: string | null;
  /** null: Twilio's own API host. */
  apiBaseUrl: string | null;
  publicBaseUrl: string;
  statusCallbackUrl: string;
}

export const TWILIO_SETTINGS = Symbol('TWILIO_SETTINGS');

export function twilioSettings(config: AppConfig): TwilioSettings | null {
  // AppConfig refuses a partial set, so the SID alone says whether Twilio is configured.
  if (!config.TWILIO_ACCOUNT_SID || !config.TWILIO_AUTH_TOKEN || !config.TWILIO_FROM) return null;
  const base = publicBaseUrl(config);
  const isService = /^MG/i.test(config.TWILIO_FROM);
  return {
    accountSid: config.TWILIO_ACCOUNT_SID,
    authToken: config.TWILIO_AUTH_TOKEN,
    from: isService ? null : config.TWILIO_FROM,
    messagingServiceSid: isService ? config.TWILIO_FROM : null,
    apiBaseUrl: config.TWILIO_API_BASE_URL ?? null,
    publicBaseUrl: base,
    statusCallbackUrl: base + TWILIO_STATUS_PATH,
  };
}
