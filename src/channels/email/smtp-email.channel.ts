import { OnModuleDestroy } from '@nestjs/common';
import nodemailer from 'nodemailer';
import type { EmailMessage, MessageChannel, SendOutcome } from '../channel.types';
import { buildMailOptions, InvalidEmailError, SenderIdentity } from './email-message.builder';
import { BODY_WATCH, BodyWatch, DkimSettings, installSigning } from './email-signing';
import { classifySmtpError } from './smtp-error.classifier';

export interface SmtpChannelOptions {
  url: string;
  poolSize: number;
  sender: SenderIdentity;
  dkim: DkimSettings | null;
}

/**
 * E-mail through an SMTP relay over a pool of connections (nodemailer). One message, one
 * recipient, one outcome: accepted (250) is 'sent'; refusals and broken connections are sorted
 * into transient, permanent and ambiguous by classifySmtpError.
 */
export class SmtpEmailChannel implements MessageChannel<EmailMessage>, OnModuleDestroy {
  readonly kind = 'email' as const;
  readonly provider = 'smtp';
  private readonly transport;

  constructor(private readonly options: SmtpChannelOptions) {
    this.transport = nodemailer.createTransport({ pool: true, url: options.url, maxConnections: options.poolSize });
    installSigning(this.transport, options.dkim);
  }

  async send(message: EmailMessage): Promise<SendOutcome> {
    let mail;
    try {
      mail = buildMailOptions(message, this.options.sender);
    } catch (error) {
      if (error instanceof InvalidEmailError) return { status: 'permanent', error: error.message, code: 'EINVALID', details: { field: error.field } };
      throw error;
    }
    const watch: BodyWatch = { stream: null };
    try {
      const watched = { ...mail, [BODY_WATCH]: watch };
      const info = await this.transport.sendMail(watched);
      return { status: 'sent', providerMessageId: mail.messageId, details: { response: info.response } };
    } catch (error) {
      // The transport reads the body only after the relay answered DATA with 354.
      return classifySmtpError(error, { bodySent: watch.stream?.readableDidRead ?? false });
    }
  }

  onModuleDestroy(): void {
    this.close();
  }

  /** Says QUIT on every pooled connection and stops the pool. */
  close(): void {
    this.transport.close();
  }
}
