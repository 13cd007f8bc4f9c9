import { randomUUID } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { EmailMessage, MessageChannel, SendOutcome } from '../channel.types';
import { buildMailOptions, InvalidEmailError, SenderIdentity } from './email-message.builder';
import { DkimSettings, installSigning } from './email-signing';

/**
 * The embedded default when no SMTP relay is configured: each e-mail becomes a complete RFC 5322
 * message (.eml, same headers and DKIM signature as over SMTP) under OUTBOX_DIR/email, so a
 * newcomer can open what would have been sent in any mail client.
 */
export class FileEmailChannel implements MessageChannel<EmailMessage> {
  readonly kind = 'email' as const;
  readonly provider = 'file';
  private readonly transport;

  constructor(
    /** OUTBOX_DIR/email */
    readonly directory: string,
    private readonly sender: SenderIdentity,
    dkim: DkimSettings | null,
  ) {
    // streamTransport builds the message with nodemailer's MailComposer and hands it back.
    this.transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
    installSigning(this.transport, dkim);
  }

  async send(message: EmailMessage): Promise<SendOutcome> {
    let mail;
    try {
      mail = buildMailOptions(message, this.sender);
    } catch (error) {
      if (error instanceof InvalidEmailError) return { status: 'permanent', error: error.message, code: 'EINVALID', details: { field: error.field } };
      throw error;
    }
    const name = `${fileTimestamp(new Date())}-${message.messageId.replace(/[^A-Za-z0-9._-]/g, '_')}.eml`;
    const file = join(this.directory, name);
    // Written under a hidden temporary name and renamed: a reader never sees half a message.
    const temporary = join(this.directory, `.${name}.${randomUUID()}.tmp`);
    try {
      const info = await this.transport.sendMail(mail);
      await mkdir(this.directory, { recursive: true });
      await writeFile(temporary, info.message as Buffer, { flag: 'wx' });
      await rename(temporary, file);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      const code = (error as NodeJS.ErrnoException).code;
      return { status: 'transient', error: `could not write ${file}: ${(error as Error).message}`, code: typeof code === 'string' ? code : undefined };
    }
    return { status: 'sent', providerMessageId: mail.messageId, details: { file } };
  }
}

/** 20261130T081502123Z: sorts by time and holds no colon (not allowed in Windows file names). */
function fileTimestamp(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}
