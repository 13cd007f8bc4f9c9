import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { GuardModule } from '../memory/guard/guard.module';
import { RenderContextModule } from '../memory/render-context/render-context.module';
import { SegmentsModule } from '../segments/segments.module';
import { TemplatesModule } from '../templates/templates.module';
import { CalendarModule } from './calendar/calendar.module';
import { CampaignSchedulerJob } from './campaign-scheduler.job';
import { CampaignScheduler } from './campaign-scheduler.service';
import { CampaignsDataModule } from './campaigns-data.module';
import { CampaignsController } from './campaigns.controller';
import { CampaignsService } from './campaigns.service';
import { DryRunService } from './dry-run.service';
import { TriggerEvaluator } from './triggers/trigger-evaluator.service';

/** Campaigns: broadcasts and care triggers, their lifecycle, and the scheduler that fills the outbox. */
@Module({
  imports: [AuditModule, CampaignsDataModule, CalendarModule, DeliveryModule, SegmentsModule, GuardModule, RenderContextModule, TemplatesModule],
  controllers: [CampaignsController],
  providers: [CampaignsService, CampaignScheduler, CampaignSchedulerJob, TriggerEvaluator, DryRunService],
  exports: [CampaignsService, CampaignScheduler],
})
export class CampaignsModule {}
