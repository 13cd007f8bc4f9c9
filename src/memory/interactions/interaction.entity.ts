import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { InteractionKind } from './interaction-rules';

/**
 * Something that happened between us and a customer: a purchase, a visit, a call, a note, a
 * topic to raise next time, or what became of a message. Recorded once per client event id.
 */
@Entity('interactions')
export class Interaction {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  contactId: string;

  /** Chosen by the client; makes re-sending the same event harmless. */
  @Column('text', { unique: true })
  eventId: string;

  @Column('text')
  kind: InteractionKind;

  @Column('timestamptz')
  occurredAt: Date;

  @Column('timestamptz', { default: () => 'now()' })
  recordedAt: Date;

  @Column('text')
  recordedBy: string;

  @Column('text', { nullable: true })
  channel: string | null;

  @Column('numeric', { precision: 14, scale: 2, nullable: true })
  amount: string | null;

  /** ISO 4217. */
  @Column('char', { length: 3, nullable: true })
  currency: string | null;

  /** For an open topic, the topic itself. */
  @Column('text', { nullable: true })
  summary: string | null;

  @Column('jsonb')
  details: Record<string, unknown>;

  @Column('uuid', { nullable: true })
  messageId: string | null;

  /** Set once, when a message raised the topic, so it is raised exactly once. */
  @Column('timestamptz', { nullable: true })
  topicRaisedAt: Date | null;

  @Column('uuid', { nullable: true })
  topicRaisedByMessage: string | null;
}
