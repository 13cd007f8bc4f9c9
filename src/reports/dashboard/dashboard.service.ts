import { Injectable } from '@nestjs/common';
import { Actor, campaignScopeOf } from '../../auth/actor';
import { canonicalTimeZone } from '../../contacts/contact-validators';
import { CampaignReportService } from '../campaign-report.service';
import { OverviewService } from '../overview.service';
import { DashboardRepository } from './dashboard.repository';
import { DashboardTexts } from './dashboard-texts';
import { continuousBuckets, funnelChart, monthsOfWindow, otherReasonsTable, ratesTable, skipReasonsChart, timelineChart, valueCharts } from './dashboard-views';
import { CampaignPageQuery, ValuePageQuery } from './dto/dashboard-query.dto';

/** Every zone the runtime knows, UTC first: the timeline's time-zone selector. */
const TIME_ZONES = ['UTC', ...(Intl as unknown as { supportedValuesOf(key: 'timeZone'): string[] }).supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];

/**
 * What each dashboard page shows, from the same services as the JSON reports, so the pages and the
 * API always agree and the actor's campaign scope applies to both (404 outside it, 403 for reports
 * about the whole base).
 */
@Injectable()
export class DashboardService {
  constructor(
    private readonly campaignReports: CampaignReportService,
    private readonly overview: OverviewService,
    private readonly repository: DashboardRepository,
  ) {}

  async campaignsPage(actor: Actor, t: DashboardTexts) {
    const campaigns = await this.repository.campaigns(campaignScopeOf(actor));
    return {
      title: t.campaignsTitle,
      nav: true,
      showValue: campaignScopeOf(actor) === null,
      campaigns: campaigns.map((c) => ({ ...c, createdAt: c.createdAt.toISOString().slice(0, 10) })),
    };
  }

  async campaignPage(actor: Actor, campaignId: string, query: CampaignPageQuery, t: DashboardTexts) {
    const bucket = query.bucket ?? 'day';
    const timeZone = canonicalTimeZone(query.timeZone ?? 'UTC') ?? 'UTC';
    // Both answer 404 for a campaign outside the actor's scope, as for one that does not exist.
    const [funnel, timeline] = await Promise.all([
      this.campaignReports.funnel(actor, campaignId),
      this.campaignReports.timeline(actor, campaignId, bucket, timeZone),
    ]);
    return {
      title: funnel.campaign.name,
      nav: true,
      charts: true,
      campaign: funnel.campaign,
      showValue: campaignScopeOf(actor) === null,
      total: funnel.total,
      funnel: funnelChart(funnel, t),
      rates: ratesTable(funnel, t),
      timeline: timelineChart(continuousBuckets(timeline.buckets, bucket, timeZone), bucket, timeZone, t),
      skipReasons: skipReasonsChart(funnel, t),
      otherReasons: otherReasonsTable(funnel, t),
      buckets: [
        { value: 'hour', label: t.hour, selected: bucket === 'hour' },
        { value: 'day', label: t.day, selected: bucket === 'day' },
      ],
      timeZones: TIME_ZONES.map((zone) => ({ value: zone, selected: zone === timeZone })),
    };
  }

  async valuePage(actor: Actor, query: ValuePageQuery, t: DashboardTexts) {
    const report = await this.overview.value(actor, { months: query.months, timeZone: query.timeZone ? (canonicalTimeZone(query.timeZone) ?? undefined) : undefined });
    return {
      title: t.valueTitle,
      nav: true,
      charts: true,
      showValue: true,
      months: report.months,
      timeZone: report.timeZone,
      valueCharts: valueCharts(report, monthsOfWindow(report.months, report.until, report.timeZone), t),
    };
  }
}
