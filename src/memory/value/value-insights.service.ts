import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiError } from '../../common/errors/api-error';
import { ContactValue } from './contact-value.entity';
import { ListSignalsQuery } from './dto/list-signals.query';
import { ValueDistribution, ValueReadRepository } from './value-read.repository';

/** What marketing reads: the signals to act on, how the base is spread, one contact's value. */
@Injectable()
export class ValueInsightsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly reads: ValueReadRepository,
  ) {}

  signals(query: ListSignalsQuery) {
    return this.reads.signals(this.db.manager, query);
  }

  distribution(): Promise<ValueDistribution> {
    return this.reads.distribution(this.db.manager);
  }

  /** Null until the contact's first interaction or the next base-wide run computes it. */
  async ofContact(contactId: string): Promise<ContactValue | null> {
    const value = await this.reads.ofContact(this.db.manager, contactId);
    if (value === undefined) throw ApiError.notFound('Contact', contactId);
    return value;
  }
}
