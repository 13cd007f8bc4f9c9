import { Logger, Module } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '../../config/app-config';
import { EMAIL_CHANNEL, EmailMessage, MessageChannel } from '../channel.types';
import { parseSender } from './email-message.builder';
import { DkimSettings, loadDkimSettings } from './email-signing';
import { FileEmailChannel } from './file-email.channel';
import { SmtpEmailChannel } from './smtp-email.channel';

/**
 * The e-mail channel configuration chose: an SMTP relay when SMTP_URL is set, otherwise .eml files
 * under OUTBOX_DIR/email. The pool is closed on module destroy (SmtpEmailChannel.onModuleDestroy).
 */
export function createEmailChannel(config: AppConfig, logger = new Logger('EmailChannel')): MessageChannel<EmailMessage> {
  const sender = parseSender(config.MAIL_FROM);
  const dkim = loadDkimSettings(config);
  const signing = describeDkim(dkim);
  if (config.SMTP_URL) {
    logger.log(`E-mail provider: SMTP ${redactedSmtpUrl(config.SMTP_URL)} (pool ${config.SMTP_POOL_SIZE})${signing}`);
    return new SmtpEmailChannel({ url: config.SMTP_URL, poolSize: config.SMTP_POOL_SIZE, sender, dkim });
  }
  const directory = join(config.OUTBOX_DIR, 'email');
  logger.log(`E-mail provider: files in ${directory} (no SMTP_URL)${signing}`);
  return new FileEmailChannel(directory, sender, dkim);
}

/** The relay's scheme, host and port: enough to recognise it, without the user or password. */
export function redactedSmtpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}`;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

function describeDkim(dkim: DkimSettings | null): string {
  return dkim ? `, DKIM d=${dkim.domainName} s=${dkim.keySelector}` : '';
}

@Module({
  providers: [{ provide: EMAIL_CHANNEL, inject: [AppConfig], useFactory: (config: AppConfig) => createEmailChannel(config) }],
  exports: [EMAIL_CHANNEL],
})
export class EmailChannelModule {}
