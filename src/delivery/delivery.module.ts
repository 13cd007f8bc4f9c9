import { Module } from '@nestjs/common';
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
  imports: [CampaignsDataModule, CalendarModule, ChannelsModule, GuardModule, RenderContextModule, TemplatesModule],
  providers: [OutboxRepository, RecipientFactsRepository, MessagePreparer, Dispatcher, DeliveryWorker],
  exports: [OutboxRepository, RecipientFactsRepository, MessagePreparer, DeliveryWorker],
})
export class DeliveryModule {}
