import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, campaignScopeOf, CurrentActor } from '../auth/actor';
import { CampaignScoped } from '../auth/decorators';
import { ParseId } from '../common/parse-id.pipe';
import { CampaignsService } from './campaigns.service';
import { CreateCampaignDto, DryRunQuery, ListCampaignsQuery, RecipientsQuery, UpdateCampaignDto } from './dto/campaign.dto';

@ApiTags('campaigns')
@ApiBearerAuth()
@Controller('campaigns')
export class CampaignsController {
  constructor(private readonly campaigns: CampaignsService) {}

  @Post()
  create(@Body() dto: CreateCampaignDto, @CurrentActor() actor: Actor) {
    return this.campaigns.create(dto, actor);
  }

  @Get()
  @CampaignScoped()
  list(@Query() query: ListCampaignsQuery, @CurrentActor() actor: Actor) {
    return this.campaigns.list(query, campaignScopeOf(actor));
  }

  @Get(':id')
  @CampaignScoped('id')
  get(@Param('id', ParseId) id: string) {
    return this.campaigns.get(id);
  }

  @Patch(':id')
  @CampaignScoped('id')
  update(@Param('id', ParseId) id: string, @Body() dto: UpdateCampaignDto, @CurrentActor() actor: Actor) {
    return this.campaigns.update(id, dto, actor);
  }

  @Post(':id/start')
  @CampaignScoped('id')
  @HttpCode(200)
  start(@Param('id', ParseId) id: string, @CurrentActor() actor: Actor) {
    return this.campaigns.start(id, actor);
  }

  @Post(':id/pause')
  @CampaignScoped('id')
  @HttpCode(200)
  pause(@Param('id', ParseId) id: string, @CurrentActor() actor: Actor) {
    return this.campaigns.pause(id, actor);
  }

  @Post(':id/resume')
  @CampaignScoped('id')
  @HttpCode(200)
  resume(@Param('id', ParseId) id: string, @CurrentActor() actor: Actor) {
    return this.campaigns.resume(id, actor);
  }

  @Post(':id/cancel')
  @CampaignScoped('id')
  @HttpCode(200)
  cancel(@Param('id', ParseId) id: string, @CurrentActor() actor: Actor) {
    return this.campaigns.cancel(id, actor);
  }

  /** Who would get what, and why not, without sending anything. A read, so viewers may ask. */
  @Get(':id/dry-run')
  @CampaignScoped('id')
  dryRun(@Param('id', ParseId) id: string, @Query() query: DryRunQuery) {
    return this.campaigns.dryRun(id, query.limit ?? 100, query.at);
  }

  @Get(':id/recipients')
  @CampaignScoped('id')
  recipients(@Param('id', ParseId) id: string, @Query() query: RecipientsQuery) {
    return this.campaigns.recipients(id, query);
  }
}
