import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PreferenceValueType } from './preference-rules';

/** One thing we may ask a customer about, with how to ask it in each language. */
@Entity('preference_keys')
export class PreferenceKey {
  @PrimaryColumn('text')
  key: string;

  @Column('text')
  valueType: PreferenceValueType;

  /** The choices of a choice or list key; null for the other types (and for a free-text list). */
  @Column('jsonb', { nullable: true })
  allowedValues: string[] | null;

  /** Locale → the question, e.g. { "en": "What would you like to drink?", "zh-CN": "…" }. */
  @Column('jsonb')
  questions: Record<string, string>;

  /** Locale → value → label, e.g. { "zh-CN": { "tea": "茶" } }. */
  @Column('jsonb')
  valueLabels: Record<string, Record<string, string>>;

  /** How long after asking we must wait before asking again (the goldfish guard reads it). */
  @Column('integer')
  askCooldownDays: number;

  @Column('text', { nullable: true })
  description: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  /** Archived keys accept no new statements; what customers already said stays readable. */
  @Column('timestamptz', { nullable: true })
  archivedAt: Date | null;
}
