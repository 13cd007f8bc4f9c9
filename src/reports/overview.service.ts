import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { Actor, campaignScopeOf } from '../auth/actor';
import { OverviewQuery, SegmentReportQuery } from './dto/report-query.dto';
import { OverviewRepository } from './overview.repository';
import { SegmentReportService, wholeBaseForbidden } from './segment-report.service';

/** The reporting window: `weeks` or `months` back from `until`, with weeks and months starting in `timeZone`. */
export interface ReportWindow {
  weeks: number;
  months: number;
  timeZone: string;
  until: Date;
}

export function reportWindow(query: Partial<Pick<OverviewQuery, 'weeks' | 'months' | 'timeZone' | 'until'>>): ReportWindow {
  return { weeks: query.weeks ?? 8, months: query.months ?? 6, timeZone: query.timeZone ?? 'UTC', until: query.until ? new Date(query.until) : new Date() };
}

/**
 * Reports across campaigns and about the customer base. Cross-campaign reports count only the
 * campaigns an actor may read; reports about the whole base (value) are closed to a campaign-scoped
 * key, since they describe customers no campaign of theirs reached.
 */
@Injectable()
export class OverviewService {
  constructor(
    private readonly overview: OverviewRepository,
    private readonly segmentReports: SegmentReportService,
  ) {}

  async fatigue(actor: Actor, query: OverviewQuery = {}) {
    const { weeks, timeZone, until } = reportWindow(query);
    return { weeks, timeZone, until, rows: await this.overview.fatigue(weeks, timeZone, until, campaignScopeOf(actor)) };
  }

  async fatigueCsv(actor: Actor, query: OverviewQuery = {}): Promise<string> {
    const { timeZone, rows } = await this.fatigue(actor, query);
    const columns = ['contacts', 'messages', 'perContact', 'mostToOne', 'once', 'twice', 'threeTimes', 'fourOrMore'] as const;
    return stringify([[`week (${timeZone})`, ...columns], ...rows.map((r: Record<string, unknown>) => [r.week, ...columns.map((c) => r[c])])]);
  }

  async channelMix(actor: Actor, query: OverviewQuery = {}) {
    const { weeks, timeZone, until } = reportWindow(query);
    return { weeks, timeZone, until, rows: await this.overview.channelMix(weeks, timeZone, until, campaignScopeOf(actor)) };
  }

  async channelMixCsv(actor: Actor, query: OverviewQuery = {}): Promise<string> {
    const { timeZone, rows } = await this.channelMix(actor, query);
    const columns = ['email', 'sms', 'mail'] as const;
    return stringify([[`week (${timeZone})`, ...columns], ...rows.map((r: Record<string, unknown>) => [r.week, ...columns.map((c) => r[c])])]);
  }

  /** ABC, loyalty and frequency classes now (with lifetime value), and their moves per month (heavy → light among them). */
  async value(actor: Actor, query: OverviewQuery = {}) {
    this.wholeBaseOr403(actor);
    const { months, timeZone, until } = reportWindow(query);
    return { months, timeZone, until, ...(await this.overview.value(months, timeZone, until)) };
  }

  /** Both parts of the value overview in one table: `part` says whether a line is a class now or a move in a month. */
  async valueCsv(actor: Actor, query: OverviewQuery = {}): Promise<string> {
    const { distribution, movements } = await this.value(actor, query);
    return stringify([
      ['part', 'month', 'dimension', 'from', 'value', 'contacts', 'lifetimeValue'],
      ...distribution.map((d) => ['now', '', d.dimension, '', d.value, d.contacts, d.lifetimeValue ?? '']),
      ...movements.map((m) => ['move', m.month, m.dimension, m.from ?? '', m.to, m.contacts, '']),
    ]);
  }

  /** Per segment, what the campaigns aimed at it achieved (only the actor's campaigns for a scoped key). */
  segments(actor: Actor, query: SegmentReportQuery = {}) {
    return this.segmentReports.performance(actor, query);
  }

  segmentsCsv(actor: Actor, query: SegmentReportQuery = {}): Promise<string> {
    return this.segmentReports.performanceCsv(actor, query);
  }

  segment(actor: Actor, segmentId: string, query: SegmentReportQuery = {}) {
    return this.segmentReports.performanceOf(actor, segmentId, query);
  }

  segmentCsv(actor: Actor, segmentId: string, query: SegmentReportQuery = {}): Promise<string> {
    return this.segmentReports.performanceCsv(actor, query, segmentId);
  }

  /** Per live segment: members now, their lifetime value, ABC classes and heavy → light movers. The whole base: 403 for a scoped key. */
  valueBySegment(actor: Actor, query: OverviewQuery = {}) {
    return this.segmentReports.value(actor, query);
  }

  valueBySegmentCsv(actor: Actor, query: OverviewQuery = {}): Promise<string> {
    return this.segmentReports.valueCsv(actor, query);
  }

  private wholeBaseOr403(actor: Actor): void {
    if (campaignScopeOf(actor) !== null) throw wholeBaseForbidden();
  }
}
