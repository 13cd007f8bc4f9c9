import type { SendOutcome } from '../../channel.types';

/** Twilio's error code for "the recipient replied STOP": the number must be treated as opted out. */
export const TWILIO_OPTED_OUT = '21610';

/**
 * Error codes of failed or undelivered messages that say the number itself cannot take SMS, so a
 * later message would fail the same way (a bounce, not bad luck): invalid or non-mobile number,
 * unknown handset, landline, unreachable carrier, blocked by the recipient, opted out.
 */
const NUMBER_UNUSABLE = new Set(['21211', '21214', '21614', '21610', '30004', '30005', '30006']);

export function isPermanentDeliveryError(code: string | null | undefined): boolean {
  return code !== null && code !== undefined && NUMBER_UNUSABLE.has(code);
}

interface HttpFailure {
  status: number;
  code?: number | string;
  message?: string;
}

interface NetworkFailure {
  code?: string;
  message?: string;
  /** Whether the whole request had gone to the socket when it failed (TwilioNoAnswerError). */
  requestSent?: boolean;
}

/**
 * What an error thrown by `client.messages.create` means for delivery. Twilio answered with an error:
 * 429 and 5xx are worth another try, 401 is our credentials (retry once they are fixed), any other
 * 4xx is about the message or number and will not change. No answer at all: if the request never
 * left completely, Twilio cannot have taken it (transient); if it did, Twilio may have queued the
 * message before the connection was lost, so a retry could send it twice (ambiguous).
 */
export function outcomeOfTwilioError(error: unknown): SendOutcome {
  if (isHttpFailure(error)) {
    const code = error.code !== undefined && error.code !== null && error.code !== 0 ? String(error.code) : String(error.status);
    const text = `Twilio answered ${error.status}${error.code ? ` (error ${error.code})` : ''}: ${error.message ?? 'no message'}`;
    if (error.status === 429 || error.status >= 500 || error.status === 401) return { status: 'transient', error: text, code };
    return { status: 'permanent', error: text, code };
  }
  const failure = (error ?? {}) as NetworkFailure;
  const reason = failure.code ?? 'UNKNOWN';
  const text = `No answer from Twilio (${reason}): ${failure.message ?? String(error)}`;
  if (failure.requestSent === true) return { status: 'ambiguous', error: text, code: reason };
  return { status: 'transient', error: text, code: reason };
}

function isHttpFailure(error: unknown): error is HttpFailure {
  // RestException and TwilioServiceException both carry the HTTP status as a number; a failure without an answer does not.
  return typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number';
}
