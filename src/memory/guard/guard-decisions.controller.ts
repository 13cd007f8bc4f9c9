import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ParseId } from '../../common/parse-id.pipe';
import { ListGuardDecisionsQuery } from './dto/list-guard-decisions.query';
import { GuardDecisionsService } from './guard-decisions.service';

@ApiTags('contacts')
@ApiBearerAuth()
@Controller('contacts')
export class GuardDecisionsController {
  constructor(private readonly decisions: GuardDecisionsService) {}

  /** Every goldfish-guard decision about the contact, newest first (viewer). */
  @Get(':id/guard-decisions')
  list(@Param('id', ParseId) id: string, @Query() query: ListGuardDecisionsQuery) {
    return this.decisions.forContact(id, query);
  }
}
