import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageChannel, SendOutcome, SmsMessage } from '../channel.types';
import { isE164, notE164 } from './sms-address';
import { analyzeSms } from './sms-encoding';

/**
 * The SMS channel when no provider is configured: one JSON line per message in OUTBOX_DIR/sms.jsonl,
 * so a newcomer sees what would have been sent. Each line is written with a single append (O_APPEND),
 * so concurrent sends never interleave within a line.
 */
export class FileSmsChannel implements MessageChannel<SmsMessage> {
  readonly kind = 'sms' as const;
  readonly provider = 'file';
  readonly file: string;
  private ready: Promise<unknown> | null = null;

  constructor(private readonly outboxDir: string) {
    this.file = join(outboxDir, 'sms.jsonl');
  }

  async send(message: SmsMessage): Promise<SendOutcome> {
    const analysis = analyzeSms(message.body);
    const details = { encoding: analysis.encoding, segments: analysis.segments, characters: analysis.characters, file: this.file };
    // Refused as a provider would refuse it, so what works against the outbox also works in production.
    if (!isE164(message.to)) return { ...notE164(message.to), details };
    const line = JSON.stringify({
      messageId: message.messageId,
      to: message.to,
      body: message.body,
      encoding: analysis.encoding,
      segments: analysis.segments,
      at: new Date().toISOString(),
    });
    try {
      this.ready ??= mkdir(this.outboxDir, { recursive: true });
      await this.ready;
      await appendFile(this.file, line + '\n', 'utf8');
    } catch (error) {
      this.ready = null;
      return { status: 'transient', error: `Could not write ${this.file}: ${error instanceof Error ? error.message : String(error)}`, details };
    }
    return { status: 'sent', providerMessageId: `file-${message.messageId}`, details };
  }
}
