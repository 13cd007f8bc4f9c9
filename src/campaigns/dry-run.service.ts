import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MessagePreparer, OccasionRef } from '../delivery/message-preparer';
import { RecipientFactsRepository } from '../delivery/recipient-facts.repository';
import { GoldfishGuard } from '../memory/guard/goldfish-guard.service';
import { RenderContextService } from '../memory/render-context/render-context.service';
import { CampaignScheduler, TRIGGER_LOOKAHEAD_MS } from './campaign-scheduler.service';
import { CampaignDefinition } from './campaign.types';
import { TriggerDefinition } from './triggers/trigger.types';
import { TriggerEvaluator } from './triggers/trigger-evaluator.service';

const DAY_MS = 86_400_000;

export interface DryRunRecipient {
  contactId: string;
  name: string | null;
  occasionKey: string;
  channel: string | null;
  decision: 'send' | 'defer' | 'skip';
  reason: string;
  deferUntil: Date | null;
  variant: string | null;
}

export interface CampaignDryRun {
  asOf: string;
  /** How many recipients a real run would consider (all of them, not only the listed ones). */
  audience: number;
  recipients: DryRunRecipient[];
  /** Decisions and reasons over the listed recipients. */
  summary: Record<string, number>;
}

/**
 * What a campaign would do, recipient by recipient, without doing it: the same channel choice,
 * rendering and goldfish guard as a real run, each guard decision taken inside a transaction that
 * is rolled back, so nothing is claimed, recorded or sent.
 */
@Injectable()
export class DryRunService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly scheduler: CampaignScheduler,
    private readonly triggers: TriggerEvaluator,
    private readonly recipients: RecipientFactsRepository,
    private readonly contexts: RenderContextService,
    private readonly preparer: MessagePreparer,
    private readonly guard: GoldfishGuard,
  ) {}

  async run(campaign: CampaignDefinition, now: Date, limit: number): Promise<CampaignDryRun> {
    const { total, occasions } = await this.audience(campaign, now, limit);
    const contactIds = occasions.map((o) => o.contactId);
    const [facts, contexts] = await Promise.all([this.recipients.load(contactIds), this.contexts.buildMany(contactIds)]);
    const recipients: DryRunRecipient[] = [];
    for (const occasion of occasions) {
      const fact = facts.get(occasion.contactId);
      const name = fact ? [fact.givenName, fact.familyName].filter(Boolean).join(' ') || null : null;
      const prepared = await this.preparer.prepare(occasion, campaign, fact, contexts.get(occasion.contactId), now);
      if (!prepared.ready) {
        recipients.push({ contactId: occasion.contactId, name, occasionKey: occasion.occasionKey, channel: null, decision: 'skip', reason: prepared.reason, deferUntil: null, variant: null });
        continue;
      }
      const decision = await this.judgeWithoutTrace(prepared.guardRequest);
      recipients.push({
        contactId: occasion.contactId,
        name,
        occasionKey: occasion.occasionKey,
        channel: prepared.channel,
        decision: decision.decision,
        reason: decision.reason,
        deferUntil: decision.deferUntil,
        variant: prepared.rendered.variant,
      });
    }
    const summary: Record<string, number> = {};
    for (const r of recipients) {
      summary[r.decision] = (summary[r.decision] ?? 0) + 1;
      summary[`${r.decision}:${r.reason}`] = (summary[`${r.decision}:${r.reason}`] ?? 0) + 1;
    }
    return { asOf: now.toISOString(), audience: total, recipients, summary };
  }

  /** The guard's answer, then a rollback: the claim and the decision row vanish with it. */
  private async judgeWithoutTrace(request: Parameters<GoldfishGuard['evaluateIn']>[1]) {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      return await this.guard.evaluateIn(runner.manager, request);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  /** A broadcast's audience now, or a trigger's occasions over the next day. */
  private async audience(campaign: CampaignDefinition, now: Date, limit: number): Promise<{ total: number; occasions: OccasionRef[] }> {
    if (campaign.kind === 'trigger' && campaign.trigger) {
      const trigger = campaign.trigger as unknown as TriggerDefinition & { defaultTimeZone?: string };
      const to = new Date(now.getTime() + Math.max(DAY_MS, TRIGGER_LOOKAHEAD_MS));
      const found = await this.triggers.occasions(trigger, now, to, (offset) => this.scheduler.audience(campaign, this.db.manager, offset, now), trigger.defaultTimeZone ?? 'UTC');
      return { total: found.length, occasions: found.slice(0, limit) };
    }
    const where = await this.scheduler.audience(campaign, this.db.manager, 1, now);
    const [{ count }] = await this.db.query(`SELECT count(*)::int AS count FROM contacts c WHERE ${where.where} AND $1::int > 0`, [1, ...where.params]);
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT c.id FROM contacts c WHERE ${where.where} ORDER BY c.created_at, c.id LIMIT $1`,
      [limit, ...where.params],
    );
    return { total: count, occasions: rows.map((r) => ({ contactId: r.id, occasionKey: 'broadcast', details: {} })) };
  }
}
