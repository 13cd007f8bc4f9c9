import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { PreferenceValue, StatementSource } from './preference-rules';

/**
 * One thing a customer said (or staff noted, or we inferred) about one preference. Rows are only
 * ever appended: the current answer is derived, and the history is the rows themselves.
 */
@Entity('preference_statements')
export class PreferenceStatement {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('uuid')
  contactId: string;

  @Column('text')
  key: string;

  /** null withdraws the preference. */
  @Column('jsonb', { nullable: true })
  value: PreferenceValue | null;

  @Column('text')
  source: StatementSource;

  /** Derived from the source when recorded (see SOURCE_AUTHORITY); stored so the view can rank. */
  @Column('smallint')
  authority: number;

  @Column('text')
  recordedBy: string;

  @Column('timestamptz')
  statedAt: Date;

  @Column('timestamptz', { default: () => 'now()' })
  recordedAt: Date;

  @Column('timestamptz', { nullable: true })
  expiresAt: Date | null;

  @Column('real')
  confidence: number;

  @Column('text', { nullable: true })
  note: string | null;
}
