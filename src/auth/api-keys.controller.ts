import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ParseId } from '../common/parse-id.pipe';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from './actor';
import { ApiKeysService } from './api-keys.service';
import { RequireRole } from './decorators';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

@ApiTags('api-keys')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** The secret is returned once, here; only its hash is stored. `campaignIds` limits a viewer or marketer key to those campaigns. */
  @Post()
  create(@Body() dto: CreateApiKeyDto, @CurrentActor() actor: Actor) {
    return this.keys.create(dto.name, dto.role, actor, dto.campaignIds ?? null);
  }

  @Get()
  list() {
    return this.keys.list();
  }

  @Delete(':id')
  revoke(@Param('id', ParseId) id: string, @CurrentActor() actor: Actor) {
    return this.keys.revoke(id, actor);
  }
}
