import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { GuardChannel, GuardReason, GuardVerdict } from './guard.types';

/** Every decision the goldfish guard made, kept so the report can say who got what and who was skipped and why. */
@Entity('guard_decisions')
export class GuardDecisionRecord {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('uuid')
  contactId: string;

  @Column('text')
  campaignId: string;

  @Column('text')
  occasionKey: string;

  @Column('text', { nullable: true })
  channel: GuardChannel | null;

  @Column('text')
  decision: GuardVerdict;

  @Column('text')
  reason: GuardReason;

  @Column('timestamptz', { nullable: true })
  deferUntil: Date | null;

  @Column('uuid', { nullable: true })
  messageId: string | null;

  @Column('jsonb')
  details: Record<string, unknown>;

  /** The `now` the decision was made for. */
  @Column('timestamptz')
  decidedAt: Date;
}
