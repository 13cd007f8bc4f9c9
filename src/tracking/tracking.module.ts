import { Global, Module } from '@nestjs/common';
import { PublicModule } from '../public/public.module';
import { EmailTracking } from './email-tracking.service';
import { CampaignTrackingController, TrackingController } from './tracking.controller';
import { TrackingRepository } from './tracking.repository';
import { TrackingService } from './tracking.service';

/**
 * Open and click tracking: the send-time rewriting of e-mail links (EmailTracking, used by the
 * outbound sender) and the public routes that record hits. Global so that the channels module can
 * use EmailTracking without importing this module, which reads the messages it sent (a cycle).
 * Its only table, tracked_links, holds no personal data (campaign and URL); hits are message_events
 * and interactions, whose erasure rules their own modules declare.
 */
@Global()
@Module({
  imports: [PublicModule],
  controllers: [TrackingController, CampaignTrackingController],
  providers: [TrackingRepository, EmailTracking, TrackingService],
  exports: [EmailTracking],
})
export class TrackingModule {}
