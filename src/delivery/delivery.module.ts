import { Module } from '@nestjs/common';
import { PreparedStatements } from '../common/prepared-statements';
import { PersonalDataRegistry } from '../privacy/personal-data.registry';
import { PrivacyModule } from '../privacy/privacy.module';
import { CalendarModule } from '../campaigns/calendar/calendar.module';
import { CampaignsDataModule } from '../campaigns/campaigns-data.module';
import { ChannelsModule } from '../channels/channels.module';
import { GuardModule } from '../memory/guard/guard.module';
import { RenderContextModule } from '../memory/render-context/render-context.module';
import { TemplatesModule } from '../templates/templates.module';
import { DeliveryWorker } from './delivery-worker';
import { Dispatcher } from './dispatcher.service';
import { MessagePreparer } from './message-preparer';
import { OutboxRepository } from './outbox.repository';
import { RecipientFactsRepository } from './recipient-facts.repository';

/** The outbox and the workers that drain it through the guard, the templates and the channels. */
@Module({
  imports: [PrivacyModule, CampaignsDataModule, CalendarModule, ChannelsModule, GuardModule, RenderContextModule, TemplatesModule],
  providers: [OutboxRepository, RecipientFactsRepository, MessagePreparer, Dispatcher, DeliveryWorker, PreparedStatements],
  exports: [OutboxRepository, RecipientFactsRepository, MessagePreparer, DeliveryWorker],
})
export class DeliveryModule {
  constructor(registry: PersonalDataRegistry) {
    // The rows stay (a campaign's numbers must not change when someone is erased); what could
    // quote the person goes: a provider's error text can name the address, details hold the age.
    registry.declare({
      table: 'outbox_messages',
      orderBy: 't.created_at, t.id',
      erasure: {
        rule: 'scrub',
        set: { last_error: 'NULL', details: `'{}'::jsonb` },
        keep: [
          'id', 'campaign_id', 'contact_id', 'occasion_key', 'due_at', 'state', 'channel', 'variant', 'attempts', 'next_attempt_at',
          'lease_owner', 'lease_until', 'guard_message_id', 'message_id', 'reason', 'created_at', 'updated_at', 'finished_at',
        ],
      },
    });
  }
}
