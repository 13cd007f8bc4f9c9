import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import DKIM from 'nodemailer/lib/dkim';
import type Mail from 'nodemailer/lib/mailer';
import type { AppConfig } from '../../config/app-config';

/**
 * The headers the DKIM signature covers, spelled out rather than left to nodemailer's default:
 * older releases leave List-Unsubscribe-Post out (see STACK.md), and RFC 8058 only honours a
 * one-click unsubscribe when the signature covers both List-Unsubscribe headers. Fields a message
 * does not carry are left out of h= by the signer.
 */
export const DKIM_SIGNED_HEADERS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type',
  'Content-Transfer-Encoding', 'In-Reply-To', 'References', 'List-Id', 'List-Unsubscribe', 'List-Unsubscribe-Post',
];

export interface DkimSettings {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

/**
 * Reads the DKIM key once at start-up. A key that cannot be read or is not an RSA private key stops
 * the start: nodemailer would otherwise send such mail unsigned without a word.
 */
export function loadDkimSettings(config: AppConfig): DkimSettings | null {
  const { DKIM_DOMAIN: domainName, DKIM_SELECTOR: keySelector, DKIM_PRIVATE_KEY_FILE: file } = config;
  // loadConfig already refuses half a DKIM setup, so one missing means DKIM is off.
  if (!domainName || !keySelector || !file) return null;
  let privateKey: string;
  try {
    privateKey = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`DKIM_PRIVATE_KEY_FILE=${JSON.stringify(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let type: string | undefined;
  try {
    type = createPrivateKey(privateKey).asymmetricKeyType;
  } catch {
    throw new Error(`DKIM_PRIVATE_KEY_FILE=${JSON.stringify(file)}: not a PEM private key`);
  }
  if (type !== 'rsa') throw new Error(`DKIM_PRIVATE_KEY_FILE=${JSON.stringify(file)}: must be an RSA key (signatures are rsa-sha256), got ${type}`);
  return { domainName, keySelector, privateKey };
}

/**
 * Set by the sender on a message's mail options; receives the exact stream the transport reads
 * the message from, so the sender can tell afterwards whether the body ever started to leave.
 */
export interface BodyWatch {
  stream: Readable | null;
}

/** Key of the BodyWatch in the mail options (nodemailer copies only string keys). */
export const BODY_WATCH = 'tidingsBodyWatch';

/**
 * Signs every message with DKIM and hands the final message stream to its BodyWatch.
 *
 * Signing is done here rather than with the transport's `dkim` option because nodemailer adds
 * that signer after all plugins, and the signer reads the whole message before the relay is even
 * asked for DATA; the watch must sit after the signer to see only the relay's reads.
 */
export function installSigning(transport: Mail, dkim: DkimSettings | null): void {
  const signer = dkim ? new DKIM({ ...dkim, headerFieldNames: DKIM_SIGNED_HEADERS.join(':') }) : null;
  transport.use('stream', (mail, done) => {
    if (signer) mail.message.processFunc((input) => signer.sign(input));
    const watch = (mail.data as Record<string, unknown>)[BODY_WATCH] as BodyWatch | undefined;
    if (watch) {
      mail.message.processFunc((input) => {
        watch.stream = input;
        return input;
      });
    }
    done();
  });
}
