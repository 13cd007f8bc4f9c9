import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../auth/actor';
import { ParseId } from '../../common/parse-id.pipe';
import { CurrentPreferencesQuery, RecordPreferencesDto } from './dto/record-preferences.dto';
import { PreferencesService } from './preferences.service';

@ApiTags('preferences')
@ApiBearerAuth()
@Controller('contacts/:id/preferences')
export class PreferencesController {
  constructor(private readonly preferences: PreferencesService) {}

  /** Appends statements and answers with the resulting current preferences. */
  @Post()
  record(@Param('id', ParseId) id: string, @Body() dto: RecordPreferencesDto, @CurrentActor() actor: Actor) {
    return this.preferences.recordForContact(id, dto.preferences, actor);
  }

  @Get()
  current(@Param('id', ParseId) id: string, @Query() query: CurrentPreferencesQuery) {
    return this.preferences.view(id, query.history);
  }

  @Get(':key/history')
  history(@Param('id', ParseId) id: string, @Param('key') key: string) {
    return this.preferences.keyHistory(id, key);
  }
}
