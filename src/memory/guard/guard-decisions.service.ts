import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiError } from '../../common/errors/api-error';
import { Contact } from '../../contacts/contact.entity';
import { ListGuardDecisionsQuery } from './dto/list-guard-decisions.query';
import { GuardDecisionRecord } from './guard-decision.entity';
import { GuardDecisionsRepository } from './guard-decisions.repository';

/** Reads the guard's decisions about one contact: what was sent, deferred or skipped, and why. */
@Injectable()
export class GuardDecisionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly decisions: GuardDecisionsRepository,
  ) {}

  async forContact(contactId: string, query: ListGuardDecisionsQuery): Promise<{ items: GuardDecisionRecord[]; nextCursor: string | null }> {
    // Like the rest of the contacts API: a deleted contact is not found.
    const live = await this.db.getRepository(Contact).exists({ where: { id: contactId, deletedAt: IsNull() } });
    if (!live) throw ApiError.notFound('Contact', contactId);
    return this.decisions.listForContact(this.db.manager, contactId, query.limit, query.cursor);
  }
}
