import type { SendOutcome } from '../channel.types';

export type SmtpFailure = Exclude<SendOutcome, { status: 'sent' }>;

/** How far the message itself got before the failure; only the sending code can know this. */
export interface SmtpProgress {
  /**
   * true: the relay answered DATA with 354 and the body started to stream, so the message may
   * have been taken; false: the body never left; undefined: unknown, judged from the error alone.
   */
  bodySent?: boolean;
}

/** The fields nodemailer puts on its errors (see nodemailer/lib/errors NodemailerError). */
interface SmtpErrorFields {
  message?: unknown;
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  originalCode?: unknown;
  timeoutType?: unknown;
}

/** Nodemailer codes for a broken or unreachable connection rather than a refused message. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS', 'EPROXY', 'EPROTOCOL']);
/** Failures that can only happen before a session exists, so no message can have gone out. */
const BEFORE_SESSION_CODES = new Set(['EDNS', 'ETLS', 'EPROXY']);
const BEFORE_SESSION_SYSTEM_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const BEFORE_SESSION_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);
/**
 * The relay or its credentials are misconfigured: the message is fine and will go once the
 * operator fixes it, so it must not count against the recipient as a permanent failure.
 */
const CONFIGURATION_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ECONFIG', 'EREQUIRETLS']);
/** The message as built cannot be sent (bad address, too large) and would fail the same way again. */
const MESSAGE_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS']);

/**
 * What a failed SMTP hand-over means for delivery (RFC 5321 reply classes):
 * - a 4xx reply is transient (try later), a 5xx reply permanent — except 503 "bad sequence of
 *   commands", which says our session was out of step, not that the message was refused;
 * - a connection that broke before the body was sent is transient: nothing reached the relay;
 * - a connection that broke after DATA was accepted and the body went out is ambiguous: the relay
 *   may have queued the message before the reply was lost, so a blind retry risks a duplicate.
 * Pure: everything it needs is on the error and the progress the sender observed.
 */
export function classifySmtpError(err: unknown, progress: SmtpProgress = {}): SmtpFailure {
  const e: SmtpErrorFields = typeof err === 'object' && err !== null ? (err as SmtpErrorFields) : { message: err };
  const code = str(e.code);
  const originalCode = str(e.originalCode);
  const response = str(e.response)?.trim();
  const responseCode = typeof e.responseCode === 'number' && e.responseCode >= 100 && e.responseCode < 600 ? e.responseCode : undefined;
  const details: Record<string, unknown> = compact({
    command: str(e.command),
    smtpCode: responseCode,
    enhancedStatus: response?.match(/^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/)?.[1],
    errorCode: code,
    originalCode,
    timeoutType: str(e.timeoutType),
    bodySent: progress.bodySent,
  });
  const message = response ?? str(e.message) ?? 'unknown SMTP error';

  if (responseCode !== undefined) {
    const failure = (status: SmtpFailure['status']): SmtpFailure => ({ status, error: message, code: String(responseCode), details });
    if (responseCode >= 400 && responseCode < 500) return failure('transient');
    if (responseCode >= 500 && responseCode !== 503) return failure('permanent');
    if (responseCode === 503) return failure('transient');
    // A 2xx/3xx where another reply was due: the session is confused; the body decides.
    return failure(progress.bodySent ? 'ambiguous' : 'transient');
  }

  const failure = (status: SmtpFailure['status']): SmtpFailure => ({ status, error: message, code: originalCode ?? code, details });
  if (code && MESSAGE_CODES.has(code)) return failure('permanent');
  if (code && CONFIGURATION_CODES.has(code)) return failure('transient');
  // Our own message stream failed: the relay never saw the terminating dot, so it cannot have taken it.
  if (code === 'ESTREAM') return failure('transient');
  if (progress.bodySent === true) return failure('ambiguous');
  if (progress.bodySent === false) return failure('transient');
  // Progress unknown: only a failure that provably happened before any session is safe to retry.
  const beforeSession =
    (code !== undefined && BEFORE_SESSION_CODES.has(code)) ||
    (originalCode !== undefined && BEFORE_SESSION_SYSTEM_CODES.has(originalCode)) ||
    BEFORE_SESSION_TIMEOUTS.has(str(e.timeoutType) ?? '');
  if (beforeSession) return failure('transient');
  return failure(code && CONNECTION_CODES.has(code) ? 'ambiguous' : 'transient');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
