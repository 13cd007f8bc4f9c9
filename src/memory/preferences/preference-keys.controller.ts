import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../auth/actor';
import { CreatePreferenceKeyDto, ListPreferenceKeysQuery, UpdatePreferenceKeyDto } from './dto/preference-key.dto';
import { PreferenceKeysService } from './preference-keys.service';

@ApiTags('preferences')
@ApiBearerAuth()
@Controller('preference-keys')
export class PreferenceKeysController {
  constructor(private readonly keys: PreferenceKeysService) {}

  @Get()
  list(@Query() query: ListPreferenceKeysQuery) {
    return this.keys.list(query.includeArchived);
  }

  @Get(':key')
  get(@Param('key') key: string) {
    return this.keys.get(key);
  }

  @Post()
  create(@Body() dto: CreatePreferenceKeyDto, @CurrentActor() actor: Actor) {
    return this.keys.create(dto, actor);
  }

  @Patch(':key')
  update(@Param('key') key: string, @Body() dto: UpdatePreferenceKeyDto, @CurrentActor() actor: Actor) {
    return this.keys.update(key, dto, actor);
  }

  /** Archives: the key and its statements stay; no new statements are accepted. */
  @Delete(':key')
  @HttpCode(204)
  async archive(@Param('key') key: string, @CurrentActor() actor: Actor) {
    await this.keys.archive(key, actor);
  }
}
