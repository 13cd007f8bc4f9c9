import { Controller, Get, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiError } from '../../common/errors/api-error';
import { ParseId } from '../../common/parse-id.pipe';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@Controller('messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** One message as sent, with every delivery report received for it (applied or not). */
  @Get(':id')
  async get(@Param('id', ParseId) id: string) {
    const message = await this.messages.find(id);
    if (!message) throw ApiError.notFound('Message', id);
    return { ...message, events: await this.messages.events(id) };
  }
}
