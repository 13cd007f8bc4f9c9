import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const VALUE_DIMENSIONS = ['abc_class', 'frequency_class', 'loyalty_stage'] as const;
export type ValueDimension = (typeof VALUE_DIMENSIONS)[number];

/** One change of a contact's class, appended when it happens so campaigns can act on it (heavy → light, A → B). */
@Entity('value_signals')
export class ValueSignal {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('uuid')
  contactId: string;

  @Column('text')
  dimension: ValueDimension;

  /** Null when the contact had not been classed before. */
  @Column('text', { nullable: true })
  fromValue: string | null;

  @Column('text')
  toValue: string;

  /** The `now` of the computation that saw the change. */
  @Column('timestamptz')
  detectedAt: Date;
}
