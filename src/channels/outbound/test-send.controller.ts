import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../auth/actor';
import { ParseTemplateId } from '../../templates/template-id.pipe';
import { TestSendDto } from './test-send.dto';
import { TestSendService } from './test-send.service';

@ApiTags('templates')
@ApiBearerAuth()
@Controller('templates')
export class TestSendController {
  constructor(private readonly testSends: TestSendService) {}

  /** Sends one rendering of the template to one address through the configured channel. */
  @Post(':id/test-send')
  @HttpCode(200)
  send(@Param('id', ParseTemplateId) id: string, @Body() dto: TestSendDto, @CurrentActor() actor: Actor) {
    return this.testSends.send(id, dto, actor);
  }
}
