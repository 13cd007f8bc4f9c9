import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { SendOutcome } from '../channel.types';
import { MessageStatus, movesForward } from './message-status';
import { MessageEventRecord, MessageRecord, MessagesRepository, NewMessage } from './messages.repository';

export interface ProviderReport {
  provider: string;
  providerMessageId: string;
  status: MessageStatus;
  /** The provider's own word for it (Twilio's MessageStatus, an SMTP DSN action…). */
  providerStatus?: string | null;
  occurredAt?: Date | null;
  error?: { code?: string; message?: string };
  payload?: Record<string, unknown>;
  /** Our own id of the message, when the provider echoes it back (a callback URL parameter). */
  messageId?: string;
}

export type ReportResult =
  | { found: false }
  | { found: true; messageId: string; applied: boolean; status: MessageStatus; contactId: string | null; recipient: string };

/**
 * The record of what left through a channel. A row is written before the hand-over ('sending'),
 * so a crash between the provider's acceptance and our record leaves a visible 'sending' row
 * rather than no trace at all.
 */
@Injectable()
export class MessagesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: MessagesRepository,
  ) {}

  /** `manager`: write the row in the caller's transaction (the delivery layer's claim). */
  begin(input: NewMessage, manager?: EntityManager): Promise<string> {
    return this.repository.insert(input, manager);
  }

  /** Many rows in one statement, in the caller's transaction; ids in the order given. */
  beginMany(inputs: readonly NewMessage[], manager: EntityManager): Promise<string[]> {
    return this.repository.insertMany(inputs, manager);
  }

  recordOutcome(id: string, outcome: SendOutcome): Promise<void> {
    return this.repository.recordOutcome(id, outcome);
  }

  /**
   * Applies a provider's delivery report. Every report is kept as an event; the message's status
   * moves only forward, so a repeated or late report is recorded with applied = false.
   */
  async applyReport(report: ProviderReport): Promise<ReportResult> {
    return this.db.transaction(async (tx) => {
      // A report can overtake our record of the provider's id (Twilio calls back while we are still
      // writing the SID down): then our own id finds the message, and the provider's id is noted.
      const message =
        (await this.repository.lockByProviderId(tx, report.provider, report.providerMessageId)) ??
        (report.messageId ? await this.repository.adoptProviderId(tx, report.messageId, report.provider, report.providerMessageId) : null);
      if (!message) return { found: false } as const;
      const applied = movesForward(message.status, report.status);
      if (applied) await this.repository.moveStatus(tx, message.id, report.status, report.error);
      await this.repository.insertEvent(tx, {
        messageId: message.id,
        status: report.status,
        providerStatus: report.providerStatus,
        applied,
        occurredAt: report.occurredAt,
        payload: report.payload,
      });
      return {
        found: true,
        messageId: message.id,
        applied,
        status: applied ? report.status : message.status,
        contactId: message.contactId,
        recipient: message.recipient,
      } as const;
    });
  }

  find(id: string): Promise<MessageRecord | null> {
    return this.repository.find(id);
  }

  events(id: string): Promise<MessageEventRecord[]> {
    return this.repository.events(id);
  }
}
