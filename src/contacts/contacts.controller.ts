import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ParseId } from '../common/parse-id.pipe';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../auth/actor';
import { ContactsService } from './contacts.service';
import { ConsentSetDto, CreateContactDto, UpdateContactDto } from './dto/contact-input.dto';
import { ListContactsQuery } from './dto/list-contacts.query';

@ApiTags('contacts')
@ApiBearerAuth()
@Controller('contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Post()
  create(@Body() dto: CreateContactDto, @CurrentActor() actor: Actor) {
    return this.contacts.create(dto, actor);
  }

  @Get()
  list(@Query() query: ListContactsQuery) {
    return this.contacts.list(query);
  }

  @Get(':id')
  get(@Param('id', ParseId) id: string) {
    return this.contacts.get(id);
  }

  @Patch(':id')
  update(@Param('id', ParseId) id: string, @Body() dto: UpdateContactDto, @CurrentActor() actor: Actor) {
    return this.contacts.update(id, dto, actor);
  }

  @Post(':id/consent')
  @HttpCode(200)
  changeConsent(@Param('id', ParseId) id: string, @Body() dto: ConsentSetDto, @CurrentActor() actor: Actor) {
    return this.contacts.changeConsent(id, dto, actor);
  }

  @Get(':id/consent-history')
  consentHistory(@Param('id', ParseId) id: string) {
    return this.contacts.consentHistory(id);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', ParseId) id: string, @CurrentActor() actor: Actor) {
    await this.contacts.softDelete(id, actor);
  }
}
