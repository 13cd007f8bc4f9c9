import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Actor } from '../auth/actor';
import { ApiError, ErrorDetail } from '../common/errors/api-error';
import { resolvePolicy } from '../memory/guard/guard-policy';
import type { GuardPolicy } from '../memory/guard/guard.types';
import { SegmentsService } from '../segments/segments.service';
import { TemplatesService } from '../templates/templates.service';
import { Clock } from './calendar/clock';
import { checkSchedule, checkTrigger } from './campaign-input';
import { CampaignScheduler, materializeAt } from './campaign-scheduler.service';
import { CampaignDefinition, CampaignStatus } from './campaign.types';
import { CampaignsRepository } from './campaigns.repository';
import { CreateCampaignDto, ListCampaignsQuery, RecipientsQuery, UpdateCampaignDto } from './dto/campaign.dto';
import { CampaignDryRun, DryRunService } from './dry-run.service';

export interface CampaignView extends CampaignDefinition {
  /** Outbox rows per state; `deferred` counts pending rows a guard deferral put back. */
  progress: Record<string, number>;
}

/** The campaign lifecycle: draft → scheduled → running ⇄ paused → completed | cancelled. */
@Injectable()
export class CampaignsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly campaigns: CampaignsRepository,
    private readonly scheduler: CampaignScheduler,
    private readonly segments: SegmentsService,
    private readonly dryRuns: DryRunService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly templates: TemplatesService,
  ) {}

  async create(dto: CreateCampaignDto, actor: Actor): Promise<CampaignView> {
    const checked = await this.check(dto);
    const id = await this.db.transaction(async (tx) => {
      const id = await this.campaigns.insert(tx, { ...checked, createdBy: actor.label });
      await this.audit.record(tx, actor, 'campaign.create', 'campaign', id, { fields: Object.keys(dto) });
      return id;
    });
    return this.get(id);
  }

  async update(id: string, dto: UpdateCampaignDto, actor: Actor): Promise<CampaignView> {
    await this.db.transaction(async (tx) => {
      const current = await this.require(id, tx, true);
      if (current.status !== 'draft') throw conflict('CAMPAIGN_NOT_DRAFT', `Campaign ${id} is ${current.status}; only a draft can be changed.`);
      const merged: CreateCampaignDto = {
        name: dto.name ?? current.name,
        kind: current.kind,
        segmentId: dto.segmentId === null ? undefined : (dto.segmentId ?? current.segmentId ?? undefined),
        audience: dto.audience !== undefined ? dto.audience : (current.audienceRule ?? undefined),
        templateKey: dto.templateKey ?? current.templateKey,
        channels: dto.channels ?? current.channels,
        preferContactChannel: dto.preferContactChannel ?? current.preferContactChannel,
        schedule: dto.schedule ?? (current.kind === 'broadcast' ? (current.schedule as Record<string, unknown>) : undefined),
        trigger: dto.trigger ?? current.trigger ?? undefined,
        guardPolicy: dto.guardPolicy ?? current.guardPolicy,
        careExempt: dto.careExempt ?? current.careExempt,
        maxAttempts: dto.maxAttempts ?? current.maxAttempts,
        print: dto.print ?? current.printOptions,
      };
      const checked = await this.check(merged, tx);
      await tx.query(
        `UPDATE campaigns SET name = $2, segment_id = $3, audience_rule = $4, template_key = $5, channels = $6, prefer_contact_channel = $7,
                schedule = $8, trigger = $9, guard_policy = $10, care_exempt = $11, max_attempts = $12, print_options = $13, updated_at = now()
          WHERE id = $1`,
        [
          id, checked.name, checked.segmentId, checked.audienceRule === null ? null : JSON.stringify(checked.audienceRule), checked.templateKey,
          checked.channels, checked.preferContactChannel, JSON.stringify(checked.schedule), checked.trigger === null ? null : JSON.stringify(checked.trigger),
          JSON.stringify(checked.guardPolicy), checked.careExempt, checked.maxAttempts, JSON.stringify(checked.printOptions),
        ],
      );
      await this.audit.record(tx, actor, 'campaign.update', 'campaign', id, { fields: Object.keys(dto) });
    });
    return this.get(id);
  }

  async get(id: string): Promise<CampaignView> {
    const campaign = await this.require(id);
    const rows: Array<{ state: string; deferred: boolean; count: string }> = await this.db.query(
      `SELECT state, (state = 'pending' AND reason LIKE 'deferred:%') AS deferred, count(*) AS count
         FROM outbox_messages WHERE campaign_id = $1 GROUP BY 1, 2`,
      [id],
    );
    const progress: Record<string, number> = { pending: 0, deferred: 0, processing: 0, sending: 0, sent: 0, failed: 0, skipped: 0, dead: 0 };
    for (const row of rows) progress[row.deferred ? 'deferred' : row.state] += Number(row.count);
    progress.total = Object.values(progress).reduce((a, b) => a + b, 0);
    return { ...campaign, progress };
  }

  /** `campaignIds`: only these campaigns (a campaign-scoped key's); null for all. */
  list(query: ListCampaignsQuery, campaignIds: readonly string[] | null = null): Promise<CampaignDefinition[]> {
    return this.campaigns.list(query.limit ?? 50, query.status, campaignIds);
  }

  /**
   * Starts a draft. A broadcast due now has its audience written before this returns; a later one
   * waits as 'scheduled'. A trigger campaign runs from now on, catching up on today's occasions.
   */
  async start(id: string, actor: Actor): Promise<CampaignView> {
    const now = this.clock.now();
    const campaign = await this.transition(id, ['draft'], (c) => (c.kind === 'trigger' ? 'running' : 'scheduled'), actor, 'campaign.start', { startedAt: true });
    if (campaign.kind === 'broadcast' && materializeAt(campaign, now) <= now.getTime()) await this.scheduler.materializeBroadcast(id, now);
    if (campaign.kind === 'trigger') await this.scheduler.evaluateTrigger(id, now);
    return this.get(id);
  }

  /** Stops new sends at the workers' next claim (within a second); messages in a provider's hands finish. */
  async pause(id: string, actor: Actor): Promise<CampaignView> {
    await this.transition(id, ['running', 'scheduled'], () => 'paused', actor, 'campaign.pause', { pausedAt: true });
    return this.get(id);
  }

  /** Continues from each row's own state: nothing is re-sent, nothing skipped. */
  async resume(id: string, actor: Actor): Promise<CampaignView> {
    await this.transition(id, ['paused'], (c) => (c.kind === 'broadcast' && !c.materializedAt ? 'scheduled' : 'running'), actor, 'campaign.resume');
    return this.get(id);
  }

  /** Cancels: rows not yet handed to a worker are closed as skipped (cancelled); nothing more goes. */
  async cancel(id: string, actor: Actor): Promise<CampaignView> {
    await this.db.transaction(async (tx) => {
      const campaign = await this.require(id, tx, true);
      if (!(await this.campaigns.transition(tx, id, ['draft', 'scheduled', 'running', 'paused'], 'cancelled', this.clock.now(), { finishedAt: true }))) {
        throw conflict('CAMPAIGN_STATE', `Campaign ${id} is ${campaign.status} and cannot be cancelled.`);
      }
      await tx.query(
        `UPDATE outbox_messages SET state = 'skipped', reason = 'cancelled', finished_at = now(), updated_at = now()
          WHERE campaign_id = $1 AND state = 'pending'`,
        [id],
      );
      await this.audit.record(tx, actor, 'campaign.cancel', 'campaign', id, {});
    });
    return this.get(id);
  }

  async dryRun(id: string, limit: number, at?: string): Promise<CampaignDryRun> {
    const campaign = await this.require(id);
    const now = at ? new Date(at) : this.clock.now();
    if (Number.isNaN(now.getTime())) throw ApiError.validation([{ field: 'at', problem: 'must be an ISO 8601 instant' }]);
    return this.dryRuns.run(campaign, now, limit);
  }

  async recipients(id: string, query: RecipientsQuery) {
    await this.require(id);
    const rows = await this.db.query(
      `SELECT id, contact_id AS "contactId", occasion_key AS "occasionKey", state, channel, variant, reason, attempts, due_at AS "dueAt",
              next_attempt_at AS "nextAttemptAt", message_id AS "messageId", last_error AS "lastError", details, finished_at AS "finishedAt"
         FROM outbox_messages WHERE campaign_id = $1 AND ($2::text IS NULL OR state = $2) AND id > $3
        ORDER BY id LIMIT $4`,
      [id, query.state ?? null, query.after ?? 0, query.limit ?? 100],
    );
    return { items: rows, next: rows.length === (query.limit ?? 100) ? Number(rows[rows.length - 1].id) : null };
  }

  private async transition(
    id: string,
    from: CampaignStatus[],
    to: (campaign: CampaignDefinition) => CampaignStatus,
    actor: Actor,
    action: string,
    stamps: { startedAt?: boolean; pausedAt?: boolean; finishedAt?: boolean } = {},
  ): Promise<CampaignDefinition> {
    return this.db.transaction(async (tx) => {
      const campaign = await this.require(id, tx, true);
      const target = to(campaign);
      if (!(await this.campaigns.transition(tx, id, from, target, this.clock.now(), stamps))) {
        throw conflict('CAMPAIGN_STATE', `Campaign ${id} is ${campaign.status}; ${action.replace('campaign.', '')} needs ${from.join(' or ')}.`);
      }
      await this.audit.record(tx, actor, action, 'campaign', id, { from: campaign.status, to: target });
      return { ...campaign, status: target };
    });
  }

  private async require(id: string, manager: EntityManager = this.db.manager, lock = false): Promise<CampaignDefinition> {
    const campaign = await this.campaigns.find(id, manager, lock);
    if (!campaign) throw ApiError.notFound('Campaign', id);
    return campaign;
  }

  /** Everything the DTO cannot say: schedule and trigger shapes, the audience rule, which fields fit which kind. */
  private async check(dto: CreateCampaignDto, manager: EntityManager = this.db.manager) {
    const problems: ErrorDetail[] = [];
    let schedule: Record<string, unknown> = {};
    let trigger: Record<string, unknown> | null = null;
    if (dto.kind === 'broadcast') {
      if (dto.trigger !== undefined) problems.push({ field: 'trigger', problem: 'is only for trigger campaigns' });
      const checked = checkSchedule(dto.schedule);
      if (checked.value) schedule = checked.value as unknown as Record<string, unknown>;
      else problems.push(...checked.problems);
    } else {
      if (dto.schedule !== undefined) problems.push({ field: 'schedule', problem: 'is only for broadcasts; a trigger sets its own local time' });
      const checked = checkTrigger(dto.trigger);
      if (checked.value) trigger = checked.value as unknown as Record<string, unknown>;
      else problems.push(...checked.problems);
    }
    if (dto.segmentId && dto.audience !== undefined) problems.push({ field: 'audience', problem: 'give either segmentId or audience, not both' });
    problems.push(...policyProblems(dto.guardPolicy));
    if (problems.length) throw ApiError.validation(problems);
    const missing = [];
    for (const channel of new Set(dto.channels)) {
      if (!(await this.templates.exists(dto.templateKey, channel))) missing.push(channel);
    }
    if (missing.length) {
      throw ApiError.validation([{ field: 'templateKey', problem: `there is no ${missing.join(' or ')} template "${dto.templateKey}" (each channel of the campaign needs one)` }]);
    }
    if (dto.segmentId) await this.segments.get(dto.segmentId, manager);
    if (dto.audience !== undefined) await this.segments.check(dto.audience, 'audience', manager);
    return {
      name: dto.name,
      kind: dto.kind,
      segmentId: dto.segmentId ?? null,
      audienceRule: dto.audience ?? null,
      templateKey: dto.templateKey,
      channels: [...new Set(dto.channels)],
      preferContactChannel: dto.preferContactChannel ?? true,
      schedule,
      trigger,
      guardPolicy: dto.guardPolicy ?? {},
      careExempt: dto.careExempt ?? false,
      maxAttempts: dto.maxAttempts ?? 5,
      printOptions: { ...(dto.print ?? {}) } as Record<string, unknown>,
    };
  }
}

const POLICY_FIELDS = ['capPerWindow', 'capWindowDays', 'contentWindowDays', 'quietHours', 'optInChannels'];

/** The guard's own policy check, with its fields named as the campaign's. */
function policyProblems(policy: Record<string, unknown> | undefined): ErrorDetail[] {
  if (!policy) return [];
  const unknown = Object.keys(policy).filter((key) => !POLICY_FIELDS.includes(key)).map((key) => ({ field: `guardPolicy.${key}`, problem: 'is not a guard policy field' }));
  if (unknown.length) return unknown;
  try {
    resolvePolicy(policy as Partial<GuardPolicy>);
    return [];
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return error.details.map((d) => ({ ...d, field: d.field.replace(/^policy\./, 'guardPolicy.') }));
  }
}

function conflict(code: string, message: string): ApiError {
  return new ApiError(HttpStatus.CONFLICT, code, message);
}
