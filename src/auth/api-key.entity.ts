import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ROLES = ['viewer', 'marketer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column('text')
  role: Role;

  /** The first characters of the key, shown in listings so people can tell keys apart. */
  @Column('text')
  keyPrefix: string;

  @Column('text', { select: false })
  keyHash: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  lastUsedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;

  /** Whether the key reads only the campaigns listed for it in api_key_campaigns. */
  @Column('boolean', { default: false })
  campaignScoped: boolean;
}

/** A key as listed: with the campaigns it is limited to (null when it is not limited). */
export type ApiKeyView = ApiKey & { campaignIds: string[] | null };

/** Roles a campaign-scoped key may have: admins manage the whole base, so they are never scoped. */
export const SCOPABLE_ROLES: readonly Role[] = ['viewer', 'marketer'];
