import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CampaignsModule } from './campaigns/campaigns.module';
import { ChannelsModule } from './channels/channels.module';
import { ApiExceptionFilter } from './common/errors/api-exception.filter';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { requestLoggingParams } from './common/request-logging';
import { ContactsModule } from './contacts/contacts.module';
import { DatabaseLocationModule, DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MemoryModule } from './memory/memory.module';
import { PreferenceCentreModule } from './public/preference-centre/preference-centre.module';
import { PublicModule } from './public/public.module';
import { SignupModule } from './public/signup/signup.module';
import { UnsubscribeModule } from './public/unsubscribe/unsubscribe.module';
import { SegmentsModule } from './segments/segments.module';
import { TemplatesModule } from './templates/templates.module';
import { TrackingModule } from './tracking/tracking.module';
import { ReportsModule } from './reports/reports.module';
import { DashboardModule } from './reports/dashboard/dashboard.module';

@Module({
  imports: [
    ConfigModule,
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: requestLoggingParams }),
    DatabaseLocationModule,
    DatabaseModule,
    AuditModule,
    AuthModule,
    HealthModule,
    ContactsModule,
    MemoryModule,
    TemplatesModule,
    SegmentsModule,
    ChannelsModule,
    CampaignsModule,
    TrackingModule,
    ReportsModule,
    DashboardModule,
    PublicModule,
    PreferenceCentreModule,
    UnsubscribeModule,
    SignupModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
})
export class AppModule {}
