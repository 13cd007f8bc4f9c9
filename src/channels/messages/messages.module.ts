import { Module } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PersonalDataRegistry } from '../../privacy/personal-data.registry';
import { PrivacyModule } from '../../privacy/privacy.module';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';

@Module({
  imports: [PrivacyModule],
  controllers: [MessagesController],
  providers: [MessagesRepository, MessagesService],
  exports: [MessagesService],
})
export class MessagesModule {
  constructor(registry: PersonalDataRegistry) {
    // Counts of what was sent must survive an erasure (reports, frequency history), the address and
    // content must not; provider payloads quote the phone number and body, so they go too.
    registry.declare({
      table: 'messages',
      orderBy: 't.created_at, t.id',
      erasure: {
        rule: 'custom',
        scrubs: ['recipient', 'subject', 'details', 'error_message'],
        keep: [
          'id', 'channel', 'provider', 'contact_id', 'campaign_id', 'occasion_key', 'purpose', 'template_key', 'template_version',
          'variant', 'locale', 'status', 'status_rank', 'provider_message_id', 'error_kind', 'error_code', 'batch_id',
          'created_at', 'sent_at', 'updated_at',
        ],
        run: scrubMessages,
      },
    });
  }
}

async function scrubMessages(tx: EntityManager, contactId: string): Promise<number> {
  await tx.query(
    `UPDATE message_events e SET payload = '{}'::jsonb FROM messages m WHERE e.message_id = m.id AND m.contact_id = $1`,
    [contactId],
  );
  const rows: unknown[] = await tx.query(
    `UPDATE messages SET recipient = 'erased', subject = NULL, details = '{}'::jsonb, error_message = NULL
      WHERE contact_id = $1 RETURNING id`,
    [contactId],
  );
  return Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : rows.length;
}
