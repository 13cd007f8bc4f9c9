import { Controller, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../auth/actor';
import { RequireRole } from '../auth/decorators';
import { ParseId } from '../common/parse-id.pipe';
import { ContactErasureService } from './contact-erasure.service';
import { ContactExportService } from './contact-export.service';

@ApiTags('privacy')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('contacts')
export class PrivacyController {
  constructor(
    private readonly exports: ContactExportService,
    private readonly erasure: ContactErasureService,
  ) {}

  /** Everything held about the contact, for a data-subject access request. */
  @Get(':id/export')
  @Header('Cache-Control', 'no-store')
  export(@Param('id', ParseId) id: string) {
    return this.exports.export(id);
  }

  /** Irreversible. Answers with counts per table, never with the data removed. */
  @Post(':id/erase')
  @HttpCode(200)
  erase(@Param('id', ParseId) id: string, @CurrentActor() actor: Actor) {
    return this.erasure.erase(id, actor);
  }
}
