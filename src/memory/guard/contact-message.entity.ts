import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { GuardChannel, MessageState } from './guard.types';

/**
 * One message per (contact, campaign, occasion). The primary key is the occasion itself, so a second
 * message for the same occasion cannot exist; `id` names the message for senders and delivery events.
 */
@Entity('contact_messages')
export class ContactMessage {
  @PrimaryColumn('uuid')
  contactId: string;

  @PrimaryColumn('text')
  campaignId: string;

  @PrimaryColumn('text')
  occasionKey: string;

  @Column('uuid', { unique: true })
  id: string;

  @Column('text')
  state: MessageState;

  @Column('timestamptz', { nullable: true })
  notBefore: Date | null;

  @Column('text', { nullable: true })
  channel: GuardChannel | null;

  @Column('text', { nullable: true })
  templateKey: string | null;

  @Column('text', { nullable: true })
  variant: string | null;

  @Column('text', { nullable: true })
  fingerprint: string | null;

  /** Deferred: the questions the message wants to ask. Claimed or sent: the questions it asks. */
  @Column('text', { array: true })
  asks: string[];

  @Column('boolean')
  careExempt: boolean;

  @Column('timestamptz')
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  claimedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  sentAt: Date | null;
}
