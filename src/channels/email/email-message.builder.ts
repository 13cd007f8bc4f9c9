import { inlineCss } from '../../templates/engine/css-inliner';
import { htmlToPlainText } from '../../templates/engine/plain-text';
import type { SendMailOptions } from 'nodemailer/lib/mailer';
import addressparser from 'nodemailer/lib/addressparser';
import type { EmailMessage } from '../channel.types';

/** The conversion the channel applies to HTML sent without a text part (templates derive theirs the same way). */
export { htmlToPlainText };

/** Who our e-mails come from, read once from MAIL_FROM. */
export interface SenderIdentity {
  name: string;
  address: string;
  /** Right-hand side of every Message-ID we mint, so replies and bounces can be traced to us. */
  domain: string;
}

/** The mail options every e-mail channel hands to nodemailer; messageId is always set. */
export type EmailMailOptions = SendMailOptions & { messageId: string };

/** A message the channel refuses to build: sending it again would fail the same way. */
export class InvalidEmailError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/**
 * Headers the channel owns. A caller's extra header with one of these names is dropped rather than
 * allowed to replace ours: a second From or Message-ID would break DKIM and threading, a
 * Content-Type would corrupt the MIME structure.
 */
const RESERVED_HEADERS = new Set([
  'from', 'sender', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'mime-version', 'content-type',
  'content-transfer-encoding', 'content-disposition', 'list-unsubscribe', 'list-unsubscribe-post', 'dkim-signature',
  'return-path', 'received',
]);

/** RFC 5322 field name: printable US-ASCII except the colon. */
const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
/** atext and dots: what may stand left of the @ in a Message-ID without quoting. */
const MESSAGE_ID_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}$/;
/** One plain mailbox; display names travel separately in toName. */
const MAILBOX = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+$/;
/** Visible US-ASCII without angle brackets, so the URL cannot close the <…> it is written in. */
const HEADER_URL = /^[\x21-\x3b\x3d\x3f-\x7e]+$/;

export function parseSender(mailFrom: string): SenderIdentity {
  const [first, ...rest] = addressparser(mailFrom, { flatten: true });
  const address = first?.address?.trim() ?? '';
  const at = address.lastIndexOf('@');
  if (rest.length > 0 || at < 1 || at === address.length - 1) {
    throw new Error(`MAIL_FROM must hold exactly one address such as "Tidings Care <care@example.com>", got ${JSON.stringify(mailFrom)}`);
  }
  return { name: first.name, address, domain: address.slice(at + 1).toLowerCase() };
}

/** `<messageId@domain>`: our id stays readable in the header, and in any bounce that quotes it. */
export function messageIdHeader(messageId: string, sender: SenderIdentity): string {
  if (!MESSAGE_ID_LOCAL.test(messageId)) throw new InvalidEmailError('messageId', 'may only hold letters, digits and . ! # $ % & \' * + / = ? ^ _ ` { | } ~ -');
  return `<${messageId}@${sender.domain}>`;
}

/**
 * The one place an EmailMessage becomes nodemailer's mail options, so the SMTP relay and the
 * .eml outbox produce byte-for-byte the same kind of message.
 */
export function buildMailOptions(message: EmailMessage, sender: SenderIdentity): EmailMailOptions {
  if (!MAILBOX.test(message.to)) throw new InvalidEmailError('to', 'must be a single e-mail address such as wei.li@example.com');
  if (/[\r\n]/.test(message.subject)) throw new InvalidEmailError('subject', 'must be one line');
  const headers: Record<string, string | { prepared: true; value: string }> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw new InvalidEmailError(`headers.${name}`, 'is not a valid header name');
    if (RESERVED_HEADERS.has(name.toLowerCase())) continue;
    headers[name] = value.replace(/[\r\n]+/g, ' ');
  }
  if (message.unsubscribeUrl) {
    const url = message.unsubscribeUrl;
    if (!/^https?:\/\//i.test(url) || !HEADER_URL.test(url) || url.length > 900) {
      throw new InvalidEmailError('unsubscribeUrl', 'must be an absolute http(s) URL in plain ASCII');
    }
    // Prepared: emitted exactly as given, never MIME-encoded, so mail clients read the URL unchanged.
    headers['List-Unsubscribe'] = { prepared: true, value: `<${url}>` };
    headers['List-Unsubscribe-Post'] = { prepared: true, value: 'List-Unsubscribe=One-Click' };
  }
  return {
    messageId: messageIdHeader(message.messageId, sender),
    from: { name: sender.name, address: sender.address },
    to: message.toName ? { name: message.toName.replace(/[\r\n]+/g, ' '), address: message.to } : message.to,
    subject: message.subject,
    // The template renderer inlines its own output; other HTML is inlined here.
    html: message.cssInlined ? message.html : inlineCss(message.html),
    text: message.text?.trim() ? message.text : htmlToPlainText(message.html),
    headers,
    // Template output is text, never a path or URL for nodemailer to fetch.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
