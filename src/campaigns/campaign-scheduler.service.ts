import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CompiledWhere } from '../segments/rules/segment-rule.compiler';
import { SegmentsService } from '../segments/segments.service';
import { BroadcastSchedule, CampaignDefinition } from './campaign.types';
import { CampaignsRepository } from './campaigns.repository';
import { TriggerDefinition, TriggeredOccasion } from './triggers/trigger.types';
import { TriggerEvaluator } from './triggers/trigger-evaluator.service';

/** As the segment compiler's: an unconfirmed sign-up (status 'pending') is in no audience. */
const LIVE_CONTACTS = "c.deleted_at IS NULL AND c.erased_at IS NULL AND c.status = 'active'";
/** Trigger rows are written this far ahead, so each goes out at its minute, not at the next tick. */
export const TRIGGER_LOOKAHEAD_MS = 15 * 60_000;
/** A trigger started late in the day still greets those whose greeting time passed this long ago. */
export const TRIGGER_CATCH_UP_MS = 12 * 3_600_000;
const INSERT_CHUNK = 5_000;

export interface MaterializeResult {
  campaignId: string;
  inserted: number;
}

/**
 * Fills the outbox. A broadcast's audience is written once, in one INSERT … SELECT over the compiled
 * segment; a trigger campaign writes the occasions of each new window. Both rely on the outbox's
 * unique (campaign, contact, occasion) key, so running twice — two schedulers, a restart halfway —
 * adds nothing.
 */
@Injectable()
export class CampaignScheduler {
  private readonly logger = new Logger(CampaignScheduler.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly campaigns: CampaignsRepository,
    private readonly segments: SegmentsService,
    private readonly triggers: TriggerEvaluator,
  ) {}

  /** One pass over every campaign that has something to schedule at `now`. */
  async tick(now: Date): Promise<MaterializeResult[]> {
    const results: MaterializeResult[] = [];
    for (const campaign of await this.campaigns.dueForScheduling()) {
      try {
        if (campaign.kind === 'broadcast' && materializeAt(campaign, now) <= now.getTime()) results.push(await this.materializeBroadcast(campaign.id, now));
        if (campaign.kind === 'trigger' && campaign.status === 'running') results.push(await this.evaluateTrigger(campaign.id, now));
      } catch (error) {
        this.logger.error(`scheduling campaign ${campaign.id} failed: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
    return results;
  }

  /** The whole audience into the outbox in one statement; the campaign becomes running with it. */
  async materializeBroadcast(campaignId: string, now: Date): Promise<MaterializeResult> {
    return this.db.transaction(async (tx) => {
      const campaign = await this.campaigns.find(campaignId, tx, true);
      if (!campaign || campaign.materializedAt || !['scheduled', 'running'].includes(campaign.status)) return { campaignId, inserted: 0 };
      // PostgreSQL's JIT spends longer compiling a compiled segment than running it.
      await tx.query('SET LOCAL jit = off');
      const schedule = campaign.schedule as BroadcastSchedule;
      // A local-time send computes each row's instant from the contact's own zone, in SQL.
      const [dueAt, fixed] =
        schedule.type === 'local'
          ? [`(($2::date + $3::time) AT TIME ZONE coalesce(c.time_zone, $4))`, [campaignId, schedule.date, schedule.time, schedule.fallbackTimeZone]]
          : [`$2::timestamptz`, [campaignId, schedule.type === 'at' ? new Date(schedule.at) : now]];
      const where = await this.audience(campaign, tx, fixed.length, now);
      const inserted = await insertedRows(
        tx,
        `INSERT INTO outbox_messages (campaign_id, contact_id, occasion_key, due_at)
         SELECT $1, c.id, 'broadcast', ${dueAt} FROM contacts c WHERE ${where.where}
         ON CONFLICT (campaign_id, contact_id, occasion_key) DO NOTHING`,
        [...fixed, ...where.params],
      );
      await this.campaigns.markMaterialized(tx, campaignId, now);
      await this.campaigns.transition(tx, campaignId, ['scheduled'], 'running', now, { startedAt: true });
      return { campaignId, inserted };
    });
  }

  /** The occasions of [evaluated_until, now + lookahead), written and the window closed in one transaction. */
  async evaluateTrigger(campaignId: string, now: Date): Promise<MaterializeResult> {
    return this.db.transaction(async (tx) => {
      const campaign = await this.campaigns.find(campaignId, tx, true);
      if (!campaign || campaign.status !== 'running' || !campaign.trigger) return { campaignId, inserted: 0 };
      const to = new Date(now.getTime() + TRIGGER_LOOKAHEAD_MS);
      const from = campaign.evaluatedUntil ?? new Date((campaign.startedAt ?? now).getTime() - TRIGGER_CATCH_UP_MS);
      if (from >= to) return { campaignId, inserted: 0 };
      await tx.query('SET LOCAL jit = off');
      const trigger = campaign.trigger as unknown as TriggerDefinition & { defaultTimeZone?: string };
      // A value signal is written by a job that may commit after a window already passed its
      // timestamp, so signals are looked for since the campaign started, every time; the outbox's
      // unique key keeps the ones already taken from being taken twice.
      const since = trigger.type === 'value_signal' ? new Date((campaign.startedAt ?? now).getTime() - TRIGGER_CATCH_UP_MS) : from;
      const occasions = await this.triggers.occasions(trigger, since, to, (offset) => this.audience(campaign, tx, offset, now), trigger.defaultTimeZone ?? 'UTC', tx);
      const inserted = await this.insertOccasions(tx, campaignId, occasions);
      await this.campaigns.markEvaluated(tx, campaignId, to);
      return { campaignId, inserted };
    });
  }

  private async insertOccasions(tx: EntityManager, campaignId: string, occasions: TriggeredOccasion[]): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < occasions.length; i += INSERT_CHUNK) {
      const chunk = occasions.slice(i, i + INSERT_CHUNK);
      inserted += await insertedRows(
        tx,
        `INSERT INTO outbox_messages (campaign_id, contact_id, occasion_key, due_at, details)
         SELECT $1, t.contact_id, t.occasion_key, t.due_at, t.details
           FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::jsonb[]) AS t(contact_id, occasion_key, due_at, details)
         ON CONFLICT (campaign_id, contact_id, occasion_key) DO NOTHING`,
        [campaignId, chunk.map((o) => o.contactId), chunk.map((o) => o.occasionKey), chunk.map((o) => o.dueAt), chunk.map((o) => JSON.stringify(o.details))],
      );
    }
    return inserted;
  }

  /** The campaign's audience as a WHERE over `contacts c`, placeholders after `offset`. */
  async audience(campaign: CampaignDefinition, tx: EntityManager, offset: number, now: Date): Promise<CompiledWhere> {
    const rule = campaign.segmentId ? (await this.segments.get(campaign.segmentId, tx)).rule : campaign.audienceRule;
    if (rule === null || rule === undefined) return { where: LIVE_CONTACTS, params: [] };
    return this.segments.audienceSql(rule, offset, now, tx);
  }
}

/** When a broadcast's audience is taken: at its send time, or for local-time sends when the first zone reaches it. */
export function materializeAt(campaign: CampaignDefinition, now: Date): number {
  const schedule = campaign.schedule as BroadcastSchedule;
  if (schedule.type === 'at') return new Date(schedule.at).getTime();
  // UTC+14 is the first zone to reach a local time; taking the audience then lets every row wait in
  // the outbox for its own zone's moment.
  if (schedule.type === 'local') return Date.parse(`${schedule.date}T${schedule.time}:00Z`) - 14 * 3_600_000;
  return now.getTime();
}

/**
 * Rows an INSERT wrote. TypeORM's plain `query` gives an INSERT's rows (none without RETURNING),
 * not its count; the structured result carries the count without sending the rows back.
 */
async function insertedRows(tx: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const result = await tx.queryRunner!.query(sql, params, true);
  return result.affected ?? 0;
}
