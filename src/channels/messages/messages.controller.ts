import { Controller, Get, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, mayReadCampaign } from '../../auth/actor';
import { CampaignScoped } from '../../auth/decorators';
import { ApiError } from '../../common/errors/api-error';
import { ParseId } from '../../common/parse-id.pipe';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@Controller('messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** One message as sent, with every delivery report received for it (applied or not). */
  @Get(':id')
  @CampaignScoped()
  async get(@Param('id', ParseId) id: string, @CurrentActor() actor: Actor) {
    const message = await this.messages.find(id);
    // A campaign-scoped key sees only its campaigns' messages; others answer as if they did not exist.
    if (!message || (actor.campaignScope && !(message.campaignId && mayReadCampaign(actor, message.campaignId)))) throw ApiError.notFound('Message', id);
    return { ...message, events: await this.messages.events(id) };
  }
}
