import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const CHANNELS = ['email', 'sms', 'mail'] as const;
export type ConsentChannel = (typeof CHANNELS)[number];

/** One change of consent. Rows are only ever appended; the latest per channel is current. */
@Entity('contact_consent_events')
export class ConsentEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('uuid')
  contactId: string;

  @Column('text')
  channel: ConsentChannel;

  @Column('text')
  status: 'granted' | 'revoked';

  /** Where the statement came from: api, import, web form, sms reply… */
  @Column('text')
  source: string;

  /** The exact wording the person agreed to. */
  @Column('text', { nullable: true })
  consentText: string | null;

  @Column('timestamptz', { default: () => 'now()' })
  recordedAt: Date;

  @Column('text')
  recordedBy: string;
}
