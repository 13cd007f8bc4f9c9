import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AuditService } from '../audit/audit.service';
import { Actor } from '../auth/actor';
import { ApiError } from '../common/errors/api-error';
import { AppConfig } from '../config/app-config';
import { SuppressionService } from '../privacy/suppression.service';
import { ConsentService, ConsentView, consentViewOf } from './consent.service';
import { Contact } from './contact.entity';
import { normalizeContactInput } from './contact-normalizer';
import { ContactsRepository, ShownContact } from './contacts.repository';
import { ConsentSetDto, CreateContactDto, UpdateContactDto } from './dto/contact-input.dto';
import { ListContactsQuery } from './dto/list-contacts.query';

export type ContactView = ShownContact & { consent: ConsentView };

const EDITABLE_FIELDS = [
  'externalId', 'givenName', 'familyName', 'formOfAddress', 'email', 'phone', 'address', 'locale', 'timeZone',
  'birthday', 'lunarBirthdayMonth', 'lunarBirthdayDay', 'lunarBirthdayLeap', 'tags', 'attributes',
] as const;

const IDENTIFYING_FIELDS = ['externalId', 'email', 'phone', 'givenName', 'familyName'] as const;

@Injectable()
export class ContactsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsRepository,
    private readonly consent: ConsentService,
    private readonly suppression: SuppressionService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async create(dto: CreateContactDto, actor: Actor): Promise<ContactView> {
    const { consent, ...fields } = this.normalizeNew(dto);
    const id = await this.db.transaction(async (tx) => {
      await this.suppression.assertNotSuppressed(tx, fields);
      const contact = await tx.getRepository(Contact).save(tx.getRepository(Contact).create(pickEditable(fields)));
      await this.consent.append(tx, contact.id, consent, actor, 'api');
      await this.audit.record(tx, actor, 'contact.create', 'contact', contact.id, { fields: Object.keys(pickEditable(fields)) });
      return contact.id;
    });
    return this.get(id);
  }

  async get(id: string): Promise<ContactView> {
    const found = await this.contacts.findLiveWithConsent(id);
    if (!found) throw ApiError.notFound('Contact', id);
    return { ...found.contact, consent: consentViewOf(found.consent) };
  }

  async list(query: ListContactsQuery): Promise<{ items: ContactView[]; nextCursor: string | null }> {
    const page = await this.contacts.list(query);
    const consent = await this.consent.current(this.db.manager, page.items.map((c) => c.id));
    return { items: page.items.map((c) => toView(c, consent.get(c.id) ?? {})), nextCursor: page.nextCursor };
  }

  async update(id: string, dto: UpdateContactDto, actor: Actor): Promise<ContactView> {
    const { consent, ...fields } = this.normalize(dto);
    await this.db.transaction(async (tx) => {
      const contact = await this.findLive(tx, id, true);
      const changes = pickEditable(fields);
      const month = changes.lunarBirthdayMonth !== undefined ? changes.lunarBirthdayMonth : contact.lunarBirthdayMonth;
      const day = changes.lunarBirthdayDay !== undefined ? changes.lunarBirthdayDay : contact.lunarBirthdayDay;
      if ((month == null) !== (day == null)) {
        throw ApiError.validation([{ field: 'lunarBirthdayDay', problem: 'lunarBirthdayMonth and lunarBirthdayDay must be set or cleared together' }]);
      }
      const changed = Object.keys(changes).filter((k) => JSON.stringify(contact[k as keyof Contact]) !== JSON.stringify(changes[k as keyof typeof changes]));
      if (changed.length > 0) {
        await this.suppression.assertNotSuppressed(tx, { email: fields.email, phone: fields.phone, externalId: fields.externalId });
        await tx.getRepository(Contact).update({ id }, changes as QueryDeepPartialEntity<Contact>);
      }
      const consentChanges = await this.consent.append(tx, id, consent, actor, 'api');
      if (changed.length > 0 || consentChanges > 0) {
        await this.audit.record(tx, actor, 'contact.update', 'contact', id, { fields: changed, consentChanges });
      }
    });
    return this.get(id);
  }

  async changeConsent(id: string, dto: ConsentSetDto, actor: Actor): Promise<ContactView> {
    await this.db.transaction(async (tx) => {
      await this.findLive(tx, id, true);
      const appended = await this.consent.append(tx, id, dto, actor, 'api');
      if (appended > 0) await this.audit.record(tx, actor, 'contact.consent', 'contact', id, { channels: Object.keys(dto) });
    });
    return this.get(id);
  }

  async consentHistory(id: string) {
    await this.findLive(this.db.manager, id);
    return this.consent.history(this.db.manager, id);
  }

  async softDelete(id: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.findLive(tx, id, true);
      await tx.getRepository(Contact).update({ id }, { deletedAt: new Date() });
      await this.audit.record(tx, actor, 'contact.delete', 'contact', id, {});
    });
  }

  private normalize<T extends CreateContactDto>(dto: T): T {
    const { value, problems } = normalizeContactInput(dto, this.config.DEFAULT_PHONE_REGION);
    if (problems.length > 0) throw ApiError.validation(problems);
    return value;
  }

  /** A record nobody can recognise or reach is not a customer archive entry. */
  private normalizeNew(dto: CreateContactDto): CreateContactDto {
    const value = this.normalize(dto);
    if (!IDENTIFYING_FIELDS.some((field) => value[field] != null)) {
      throw ApiError.validation([{ field: 'body', problem: `a contact needs at least one of ${IDENTIFYING_FIELDS.join(', ')}` }]);
    }
    return value;
  }

  private async findLive(tx: EntityManager, id: string, forUpdate = false): Promise<Contact> {
    const contact = await tx.getRepository(Contact).findOne({
      where: { id, deletedAt: IsNull() },
      lock: forUpdate ? { mode: 'pessimistic_write' } : undefined,
    });
    if (!contact) throw ApiError.notFound('Contact', id);
    return contact;
  }
}

function pickEditable(dto: Partial<Contact> | CreateContactDto): Partial<Contact> {
  const out: Record<string, unknown> = {};
  for (const field of EDITABLE_FIELDS) {
    const value = (dto as Record<string, unknown>)[field];
    if (value !== undefined) out[field] = value;
  }
  return out as Partial<Contact>;
}

function toView(contact: Contact, consent: ConsentView): ContactView {
  const { deletedAt: _deleted, erasedAt: _erased, ...rest } = contact;
  return { ...rest, consent };
}
