import { Module } from '@nestjs/common';
import { CampaignsRepository } from './campaigns.repository';

/**
 * The campaigns table on its own, so the delivery workers can read which campaigns run without
 * depending on the campaign lifecycle that in turn starts deliveries.
 */
@Module({
  providers: [CampaignsRepository],
  exports: [CampaignsRepository],
})
export class CampaignsDataModule {}
