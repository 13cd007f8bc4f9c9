import { Module } from '@nestjs/common';
import { SegmentsModule } from '../segments/segments.module';
import { CampaignReportRepository } from './campaign-report.repository';
import { CampaignReportService } from './campaign-report.service';
import { OverviewController } from './overview.controller';
import { OverviewRepository } from './overview.repository';
import { OverviewService } from './overview.service';
import { ReportsController } from './reports.controller';
import { SegmentReportRepository } from './segment-report.repository';
import { SegmentReportService } from './segment-report.service';

/** Reporting: read-only, aggregated in SQL from the records delivery and tracking write. */
@Module({
  imports: [SegmentsModule],
  controllers: [ReportsController, OverviewController],
  providers: [CampaignReportRepository, CampaignReportService, OverviewRepository, OverviewService, SegmentReportRepository, SegmentReportService],
  exports: [CampaignReportService, OverviewService],
})
export class ReportsModule {}
