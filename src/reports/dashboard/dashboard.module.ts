import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import { ReportsModule } from '../reports.module';
import { DashboardAccessService } from './dashboard-access.service';
import { DashboardAssets } from './dashboard-assets';
import { DashboardAssetsController } from './dashboard-assets.controller';
import { DashboardController } from './dashboard.controller';
import { DashboardEntryController } from './dashboard-entry.controller';
import { DashboardLinksController } from './dashboard-links.controller';
import { DashboardPageFilter } from './dashboard-page.filter';
import { DashboardPages } from './dashboard-pages.service';
import { DashboardRepository } from './dashboard.repository';
import { DashboardService } from './dashboard.service';
import { DashboardSessionGuard } from './dashboard-session.guard';

/**
 * The read-only reports dashboard for staff browsers: dashboard links issued to API keys, the
 * session cookie they turn into, and server-rendered pages with Chart.js charts over the same
 * report services as the JSON API.
 */
@Module({
  imports: [AuthModule, ReportsModule],
  controllers: [DashboardLinksController, DashboardEntryController, DashboardAssetsController, DashboardController],
  providers: [DashboardAccessService, DashboardAssets, DashboardPages, DashboardPageFilter, DashboardRepository, DashboardService, DashboardSessionGuard],
})
export class DashboardModule {}
