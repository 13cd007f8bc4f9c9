import { Module } from '@nestjs/common';
import { CampaignReportRepository } from './campaign-report.repository';
import { CampaignReportService } from './campaign-report.service';
import { OverviewController } from './overview.controller';
import { OverviewRepository } from './overview.repository';
import { ReportsController } from './reports.controller';

/** Reporting: read-only, aggregated in SQL from the records delivery and tracking write. */
@Module({
  controllers: [ReportsController, OverviewController],
  providers: [CampaignReportRepository, CampaignReportService, OverviewRepository],
})
export class ReportsModule {}
