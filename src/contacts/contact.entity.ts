import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export interface PostalAddress {
  street?: string;
  houseNumber?: string;
  extra?: string;
  postcode?: string;
  city?: string;
  district?: string;
  state?: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
}

@Entity('contacts')
export class Contact {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text', { nullable: true })
  externalId: string | null;

  @Column('text', { nullable: true })
  givenName: string | null;

  @Column('text', { nullable: true })
  familyName: string | null;

  /** How the person wants to be addressed, e.g. "Mr Li" or "王老师". */
  @Column('text', { nullable: true })
  formOfAddress: string | null;

  @Column('text', { nullable: true })
  email: string | null;

  /** E.164. */
  @Column('text', { nullable: true })
  phone: string | null;

  @Column('jsonb', { nullable: true })
  address: PostalAddress | null;

  /** BCP 47, canonical form. */
  @Column('text', { nullable: true })
  locale: string | null;

  /** IANA time zone name. */
  @Column('text', { nullable: true })
  timeZone: string | null;

  /** Solar birthday as YYYY-MM-DD. */
  @Column('date', { nullable: true })
  birthday: string | null;

  @Column('smallint', { nullable: true })
  lunarBirthdayMonth: number | null;

  @Column('smallint', { nullable: true })
  lunarBirthdayDay: number | null;

  @Column('boolean', { default: false })
  lunarBirthdayLeap: boolean;

  @Column('text', { array: true, default: () => "'{}'" })
  tags: string[];

  @Column('jsonb', { default: () => "'{}'::jsonb" })
  attributes: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @Column('timestamptz', { nullable: true })
  deletedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  erasedAt: Date | null;
}
