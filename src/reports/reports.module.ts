import { Module } from '@nestjs/common';
import { CampaignReportRepository } from './campaign-report.repository';
import { CampaignReportService } from './campaign-report.service';
import { ReportsController } from './reports.controller';

/** Reporting: read-only, aggregated in SQL from the records delivery and tracking write. */
@Module({
  controllers: [ReportsController],
  providers: [CampaignReportRepository, CampaignReportService],
})
export class ReportsModule {}
