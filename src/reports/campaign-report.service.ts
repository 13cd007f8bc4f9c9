import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { Actor, mayReadCampaign } from '../auth/actor';
import { ApiError } from '../common/errors/api-error';
import { CampaignReportRepository, FunnelRow, ReasonRow, TimelineRow } from './campaign-report.repository';

export const COUNTS = [
  'audience', 'materialised', 'sent', 'delivered', 'bounced', 'failed', 'deadLettered', 'skipped', 'deferred', 'waiting',
  'openedUnique', 'openedTotal', 'clickedUnique', 'clickedTotal', 'replied', 'unsubscribed',
] as const;
export type Counts = Pick<FunnelRow, (typeof COUNTS)[number]>;

/** Rates a marketer reads, each a share of the count named in RATE_BASES. */
export function rates(c: Counts) {
  const share = (part: number, whole: number) => (whole > 0 ? Math.round((10_000 * part) / whole) / 10_000 : null);
  return {
    sent: share(c.sent, c.materialised),
    skipped: share(c.skipped, c.materialised),
    failed: share(c.failed + c.deadLettered, c.materialised),
    delivered: share(c.delivered, c.sent),
    bounced: share(c.bounced, c.sent),
    opened: share(c.openedUnique, c.sent),
    clicked: share(c.clickedUnique, c.sent),
    clickedOfOpened: share(c.clickedUnique, c.openedUnique),
    replied: share(c.replied, c.sent),
    unsubscribed: share(c.unsubscribed, c.sent),
  };
}

/** What each rate is a share of. */
export const RATE_BASES: Record<keyof ReturnType<typeof rates>, string> = {
  sent: 'materialised',
  skipped: 'materialised',
  failed: 'materialised (failed + deadLettered)',
  delivered: 'sent',
  bounced: 'sent',
  opened: 'sent (openedUnique)',
  clicked: 'sent (clickedUnique)',
  clickedOfOpened: 'openedUnique (clickedUnique)',
  replied: 'sent',
  unsubscribed: 'sent',
};

export interface FunnelLine extends Counts {
  channel: string;
  variant: string;
  rates: ReturnType<typeof rates>;
  /** outcome → reason → count (skipped, failed, dead, deferred). */
  reasons: Record<string, Record<string, number>>;
}

/**
 * What a campaign did and why, per channel and template variant: the funnel with rates, the reasons
 * behind every message that did not go, sends and reactions over time, and one contact's path.
 */
@Injectable()
export class CampaignReportService {
  constructor(private readonly reports: CampaignReportRepository) {}

  async funnel(actor: Actor, campaignId: string) {
    const campaign = await this.campaignOr404(actor, campaignId);
    const [rows, reasons, audience] = await Promise.all([this.reports.funnel(campaignId), this.reports.reasons(campaignId), this.reports.audience(campaignId)]);
    const lines: FunnelLine[] = rows.map((row) => ({ ...row, rates: rates(row), reasons: reasonsOf(reasons.filter((r) => r.channel === row.channel && r.variant === row.variant)) }));
    const total = Object.fromEntries(COUNTS.map((key) => [key, rows.reduce((sum, row) => sum + row[key], 0)])) as unknown as Counts;
    // A contact can sit on several lines (one occasion skipped, another sent): counted once.
    total.audience = audience;
    return { campaign, rateBases: RATE_BASES, total: { ...total, rates: rates(total), reasons: reasonsOf(reasons) }, lines };
  }

  async funnelCsv(actor: Actor, campaignId: string): Promise<string> {
    const report = await this.funnel(actor, campaignId);
    const reasonKeys = [...new Set(report.lines.flatMap((l) => Object.entries(l.reasons).flatMap(([outcome, byReason]) => Object.keys(byReason).map((r) => `${outcome}:${r}`))))].sort();
    const rows = [...report.lines, { ...report.total, channel: 'all', variant: 'all' }].map((line) => [
      line.channel,
      line.variant,
      ...COUNTS.map((key) => line[key]),
      ...reasonKeys.map((key) => {
        const [outcome, reason] = key.split(':');
        return line.reasons[outcome]?.[reason] ?? 0;
      }),
    ]);
    return stringify([['channel', 'variant', ...COUNTS, ...reasonKeys], ...rows]);
  }

  async timeline(actor: Actor, campaignId: string, bucket: 'hour' | 'day', timeZone: string): Promise<{ campaignId: string; bucket: string; timeZone: string; buckets: TimelineRow[] }> {
    await this.campaignOr404(actor, campaignId);
    return { campaignId, bucket, timeZone, buckets: await this.reports.timeline(campaignId, bucket, timeZone) };
  }

  async timelineCsv(actor: Actor, campaignId: string, bucket: 'hour' | 'day', timeZone: string): Promise<string> {
    const { buckets } = await this.timeline(actor, campaignId, bucket, timeZone);
    return stringify([[`${bucket} (${timeZone})`, 'start', 'sent', 'opened', 'clicked'], ...buckets.map((b) => [b.bucket, b.start.toISOString(), b.sent, b.opened, b.clicked])]);
  }

  /** "Why did Mr Li not get his card?": each occasion's outcome in words, with the records behind it. */
  async path(actor: Actor, campaignId: string, contactId: string) {
    const campaign = await this.campaignOr404(actor, campaignId);
    const { outbox, decisions, messages } = await this.reports.path(campaignId, contactId);
    if (outbox.length === 0) throw ApiError.notFound('Recipient of this campaign', contactId);
    const occasions = outbox.map((row) => ({
      ...row,
      explanation: explain(row),
      decisions: decisions.filter((d) => d.occasionKey === row.occasionKey),
      messages: messages.filter((m) => m.occasionKey === row.occasionKey),
    }));
    return { campaign, contactId, occasions };
  }

  /** A campaign outside the actor's scope answers exactly as one that does not exist, so its existence is not revealed. */
  private async campaignOr404(actor: Actor, campaignId: string) {
    const campaign = mayReadCampaign(actor, campaignId) ? await this.reports.campaign(campaignId) : null;
    if (!campaign) throw ApiError.notFound('Campaign', campaignId);
    return campaign;
  }
}

function reasonsOf(rows: ReasonRow[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const row of rows) {
    out[row.outcome] ??= {};
    out[row.outcome][row.reason] = (out[row.outcome][row.reason] ?? 0) + row.count;
  }
  return out;
}

function explain(row: Record<string, unknown>): string {
  const reason = typeof row.reason === 'string' ? row.reason : null;
  switch (row.state) {
    case 'sent':
      return `sent by ${row.channel}${row.variant ? ` (variant ${row.variant})` : ''}`;
    case 'skipped':
      return `not sent: ${reason ?? 'skipped'}`;
    case 'failed':
      return `failed: ${row.lastError ?? reason ?? 'provider refused'}`;
    case 'dead':
      return `gave up after ${row.attempts} attempts: ${row.lastError ?? reason ?? ''}`.trim();
    case 'pending':
      return reason?.startsWith('deferred:')
        ? `deferred (${reason.slice('deferred:'.length)}) until ${(row.nextAttemptAt as Date).toISOString()}`
        : reason?.startsWith('retry:')
          ? `waiting to retry at ${(row.nextAttemptAt as Date).toISOString()} after: ${row.lastError ?? reason}`
          : `due at ${(row.dueAt as Date).toISOString()}`;
    default:
      return `being sent (${String(row.state)})`;
  }
}
