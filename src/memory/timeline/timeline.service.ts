import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { InteractionsService } from '../interactions/interactions.service';
import { OpenTopicsService } from '../interactions/open-topics.service';
import { PreferencesService } from '../preferences/preferences.service';
import { TimelineRepository } from './timeline.repository';

/**
 * Everything we remember about one customer on one page: what they told us (with its history),
 * what happened, what we derived, what we sent and what the goldfish guard decided.
 */
@Injectable()
export class TimelineService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly preferences: PreferencesService,
    private readonly interactions: InteractionsService,
    private readonly topics: OpenTopicsService,
    private readonly repository: TimelineRepository,
  ) {}

  /** Read in one repeatable-read snapshot, so the sections agree with each other. */
  memory(contactId: string, limit: number) {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      await tx.query('SET TRANSACTION READ ONLY');
      // view() answers 404 for an unknown contact before anything else is read.
      const preferences = await this.preferences.view(contactId, true, tx);
      const interactions = await this.interactions.list(contactId, { limit }, tx);
      return {
        contactId,
        preferences: { values: preferences.values, statements: preferences.statements, history: preferences.history ?? {} },
        interactions,
        openTopics: await this.topics.open(contactId, tx),
        value: await this.repository.value(tx, contactId),
        valueSignals: await this.repository.valueSignals(tx, contactId, limit),
        predictedRunOuts: await this.repository.predictedRunOuts(tx, contactId),
        messages: await this.repository.messages(tx, contactId, limit),
        guardDecisions: await this.repository.guardDecisions(tx, contactId, limit),
      };
    });
  }
}
