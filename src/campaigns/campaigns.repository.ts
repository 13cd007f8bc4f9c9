import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CampaignDefinition, CampaignStatus } from './campaign.types';

const COLUMNS = `id, name, kind, status, segment_id AS "segmentId", audience_rule AS "audienceRule", template_key AS "templateKey",
  channels, prefer_contact_channel AS "preferContactChannel", schedule, trigger, guard_policy AS "guardPolicy", care_exempt AS "careExempt",
  max_attempts AS "maxAttempts", print_options AS "printOptions", created_at AS "createdAt", started_at AS "startedAt", paused_at AS "pausedAt", finished_at AS "finishedAt",
  materialized_at AS "materializedAt", evaluated_until AS "evaluatedUntil"`;

export interface NewCampaign {
  name: string;
  kind: 'broadcast' | 'trigger';
  segmentId: string | null;
  audienceRule: unknown | null;
  templateKey: string;
  channels: string[];
  preferContactChannel: boolean;
  schedule: Record<string, unknown>;
  trigger: Record<string, unknown> | null;
  guardPolicy: Record<string, unknown>;
  careExempt: boolean;
  maxAttempts: number;
  printOptions: Record<string, unknown>;
  createdBy: string;
}

@Injectable()
export class CampaignsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(tx: EntityManager, campaign: NewCampaign): Promise<string> {
    const rows: Array<{ id: string }> = await tx.query(
      `INSERT INTO campaigns (name, kind, segment_id, audience_rule, template_key, channels, prefer_contact_channel, schedule, trigger,
                              guard_policy, care_exempt, max_attempts, print_options, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
      [
        campaign.name, campaign.kind, campaign.segmentId, campaign.audienceRule === null ? null : JSON.stringify(campaign.audienceRule),
        campaign.templateKey, campaign.channels, campaign.preferContactChannel, JSON.stringify(campaign.schedule),
        campaign.trigger === null ? null : JSON.stringify(campaign.trigger), JSON.stringify(campaign.guardPolicy), campaign.careExempt,
        campaign.maxAttempts, JSON.stringify(campaign.printOptions), campaign.createdBy,
      ],
    );
    return rows[0].id;
  }

  async find(id: string, manager: EntityManager = this.db.manager, lock = false): Promise<CampaignDefinition | null> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM campaigns WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  async list(limit: number, status?: CampaignStatus, campaignIds: readonly string[] | null = null): Promise<CampaignDefinition[]> {
    return this.db.query(
      `SELECT ${COLUMNS} FROM campaigns WHERE ($1::text IS NULL OR status = $1) AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[]))
        ORDER BY created_at DESC, id LIMIT $2`,
      [status ?? null, limit, campaignIds],
    );
  }

  /** Campaigns whose messages may go now. */
  async running(): Promise<CampaignDefinition[]> {
    return this.db.query(`SELECT ${COLUMNS} FROM campaigns WHERE status = 'running'`);
  }

  /** Broadcasts whose audience is due to be materialised, and every live trigger campaign. */
  async dueForScheduling(): Promise<CampaignDefinition[]> {
    return this.db.query(`SELECT ${COLUMNS} FROM campaigns WHERE status IN ('scheduled', 'running') AND (kind = 'trigger' OR materialized_at IS NULL)`);
  }

  /** Moves the status only from one of `from`; false when another request got there first. */
  /** `at` is the injected clock's now: a trigger's first window starts from it, so tests can move it. */
  async transition(
    tx: EntityManager,
    id: string,
    from: CampaignStatus[],
    to: CampaignStatus,
    at: Date,
    stamps: { startedAt?: boolean; pausedAt?: boolean; finishedAt?: boolean } = {},
  ): Promise<boolean> {
    const result = await tx.query(
      `UPDATE campaigns SET status = $3, updated_at = now(),
              started_at = CASE WHEN $4 THEN coalesce(started_at, $7) ELSE started_at END,
              paused_at = CASE WHEN $5 THEN $7 WHEN $3 = 'running' THEN NULL ELSE paused_at END,
              finished_at = CASE WHEN $6 THEN $7 ELSE finished_at END
        WHERE id = $1 AND status = ANY($2::text[])`,
      [id, from, to, Boolean(stamps.startedAt), Boolean(stamps.pausedAt), Boolean(stamps.finishedAt), at],
    );
    return Array.isArray(result) && result[1] === 1;
  }

  async markMaterialized(tx: EntityManager, id: string, at: Date): Promise<void> {
    await tx.query(`UPDATE campaigns SET materialized_at = $2, updated_at = now() WHERE id = $1`, [id, at]);
  }

  async markEvaluated(tx: EntityManager, id: string, until: Date): Promise<void> {
    await tx.query(`UPDATE campaigns SET evaluated_until = greatest(coalesce(evaluated_until, $2), $2), updated_at = now() WHERE id = $1`, [id, until]);
  }

  /** A broadcast is complete when its audience is in the outbox and no row is left to send. */
  async completeIfDrained(id: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE campaigns c SET status = 'completed', finished_at = now(), updated_at = now()
        WHERE c.id = $1 AND c.kind = 'broadcast' AND c.status = 'running' AND c.materialized_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM outbox_messages o WHERE o.campaign_id = c.id AND o.state IN ('pending', 'processing', 'sending'))`,
      [id],
    );
    return Array.isArray(result) && result[1] === 1;
  }
}
