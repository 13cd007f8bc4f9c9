import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { InteractionsRepository, OpenTopic } from './interactions.repository';

/**
 * "Leave an open topic after each conversation to pick up next time": the oldest topic not yet
 * raised is the one the next message brings up, and raising it closes it.
 */
@Injectable()
export class OpenTopicsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: InteractionsRepository,
  ) {}

  /** Per contact, the oldest unraised topic; contacts without one are absent. One query for any number. */
  async oldest(contactIds: string[], db: EntityManager = this.db.manager): Promise<Map<string, OpenTopic>> {
    if (contactIds.length === 0) return new Map();
    return new Map((await this.repository.oldestOpenTopics(db, [...new Set(contactIds)])).map((t) => [t.contactId, t]));
  }

  /** Every unraised topic of a contact, oldest first. */
  open(contactId: string, db: EntityManager = this.db.manager): Promise<OpenTopic[]> {
    return this.repository.openTopics(db, contactId);
  }

  /**
   * Call in the transaction that records the message which raised the topic. Returns false when
   * the topic was already raised (by another message) or is not an open topic, so a caller can
   * tell it lost a race rather than raise it twice.
   */
  markTopicRaised(tx: EntityManager, topicId: string, messageId: string): Promise<boolean> {
    return this.repository.markTopicRaised(tx, topicId, messageId);
  }
}
