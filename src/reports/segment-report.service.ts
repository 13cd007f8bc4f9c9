import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { stringify } from 'csv-stringify/sync';
import { DataSource } from 'typeorm';
import { Actor, campaignScopeOf } from '../auth/actor';
import { ApiError } from '../common/errors/api-error';
import { SegmentsService } from '../segments/segments.service';
import { Counts, rates, RATE_BASES } from './campaign-report.service';
import { SegmentReportQuery } from './dto/report-query.dto';
import { SegmentCountsRow, SegmentReportRepository, SegmentValueRow } from './segment-report.repository';

/** The counts segment performance shows; `materialised` is there as the base of the sent rate. */
const SEGMENT_COUNTS = ['audience', 'materialised', 'sent', 'delivered', 'openedUnique', 'clickedUnique', 'unsubscribed', 'replied'] as const;
const SEGMENT_RATES = ['sent', 'delivered', 'opened', 'clicked', 'clickedOfOpened', 'unsubscribed', 'replied'] as const;
type SegmentCounts = Record<(typeof SEGMENT_COUNTS)[number], number>;
type SegmentRates = Record<(typeof SEGMENT_RATES)[number], number | null>;

const ZERO_COUNTS = Object.fromEntries(SEGMENT_COUNTS.map((key) => [key, 0])) as SegmentCounts;

/** The funnel counts segment performance does not show; none of its rates is a share of them. */
const NOT_SHOWN = { bounced: 0, failed: 0, deadLettered: 0, skipped: 0, deferred: 0, waiting: 0, openedTotal: 0, clickedTotal: 0 };

function countsOf(row: SegmentCountsRow | undefined): SegmentCounts & { rates: SegmentRates } {
  const counts = row ? (Object.fromEntries(SEGMENT_COUNTS.map((key) => [key, row[key]])) as SegmentCounts) : { ...ZERO_COUNTS };
  const all = rates({ ...NOT_SHOWN, ...counts } as Counts);
  return { ...counts, rates: Object.fromEntries(SEGMENT_RATES.map((key) => [key, all[key]])) as SegmentRates };
}

export interface SegmentPerformance extends SegmentCounts {
  segmentId: string;
  segmentName: string;
  archived: boolean;
  rates: SegmentRates;
  campaigns: Array<SegmentCounts & { id: string; name: string; status: string; rates: SegmentRates }>;
}

/** Heavy → light moves are looked for over this many months before `until`, unless asked otherwise. */
const DEFAULT_MOVER_MONTHS = 6;

/**
 * Reports per saved segment: how the campaigns aimed at it did (only the actor's campaigns for a
 * campaign-scoped key), and what its members are worth now (the whole base: closed to scoped keys).
 */
@Injectable()
export class SegmentReportService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly reports: SegmentReportRepository,
    private readonly segmentRules: SegmentsService,
  ) {}

  /** Every segment some campaign the actor may read targeted, with those campaigns together and one by one. */
  async performance(actor: Actor, query: SegmentReportQuery = {}, segmentId: string | null = null) {
    const filter = performanceFilter(query);
    const scope = campaignScopeOf(actor);
    const [targeted, counts] = await Promise.all([
      this.reports.targetedSegments(scope, segmentId),
      this.reports.performance({ ...filter, campaignIds: scope, segmentId }),
    ]);
    const countsBy = new Map(counts.map((row) => [`${row.segmentId}/${row.campaignId ?? ''}`, row]));
    const segments: SegmentPerformance[] = [];
    for (const row of targeted) {
      let segment = segments[segments.length - 1];
      if (segment?.segmentId !== row.segmentId) {
        segment = { segmentId: row.segmentId, segmentName: row.segmentName, archived: row.segmentArchivedAt !== null, ...countsOf(countsBy.get(`${row.segmentId}/`)), campaigns: [] };
        segments.push(segment);
      }
      segment.campaigns.push({ id: row.campaignId, name: row.campaignName, status: row.campaignStatus, ...countsOf(countsBy.get(`${row.segmentId}/${row.campaignId}`)) });
    }
    return { filters: { from: filter.from, until: filter.until, channel: filter.channel }, rateBases: pick(RATE_BASES, SEGMENT_RATES), segments };
  }

  /** One segment's performance; 404 when it does not exist or no campaign the actor may read targeted it. */
  async performanceOf(actor: Actor, segmentId: string, query: SegmentReportQuery = {}) {
    const { segments, ...rest } = await this.performance(actor, query, segmentId);
    if (segments.length === 0) throw ApiError.notFound('Segment', segmentId);
    return { ...rest, segment: segments[0] };
  }

  /** One line per segment (campaign "all") and one per segment and campaign, with the rates beside the counts. */
  async performanceCsv(actor: Actor, query: SegmentReportQuery = {}, segmentId: string | null = null): Promise<string> {
    const { segments } = segmentId ? { segments: [(await this.performanceOf(actor, segmentId, query)).segment] } : await this.performance(actor, query);
    const header = ['segmentId', 'segmentName', 'campaignId', 'campaignName', ...SEGMENT_COUNTS, ...SEGMENT_RATES.map((r) => `${r}Rate`)];
    const line = (s: SegmentPerformance, c: SegmentCounts & { id: string; name: string; rates: SegmentRates } | null) => {
      const counts = c ?? s;
      return [s.segmentId, s.segmentName, c?.id ?? 'all', c?.name ?? 'all', ...SEGMENT_COUNTS.map((k) => counts[k]), ...SEGMENT_RATES.map((r) => counts.rates[r] ?? '')];
    };
    return stringify([header, ...segments.flatMap((s) => [line(s, null), ...s.campaigns.map((c) => line(s, c))])]);
  }

  /**
   * Per live segment: its members now, their lifetime value (total, mean, median over those with a
   * value), the ABC classes among them, and who left 'heavy' in the last `months` and is light now.
   * Members are counted from the segment's rule as it stands, all segments from one snapshot.
   */
  async value(actor: Actor, query: { months?: number; until?: string } = {}) {
    if (campaignScopeOf(actor) !== null) throw wholeBaseForbidden();
    const months = query.months ?? DEFAULT_MOVER_MONTHS;
    const until = query.until ? new Date(query.until) : new Date();
    const since = new Date(until);
    since.setUTCMonth(since.getUTCMonth() - months);
    const asOf = new Date();
    const segments = await this.db.transaction('REPEATABLE READ', async (tx) => {
      // A compiled segment is many small lookups: the JIT would spend longer compiling than running them.
      await tx.query(`SET LOCAL jit = off`);
      const out: Array<{ segmentId: string; segmentName: string } & ReturnType<typeof valueView>> = [];
      for (const segment of await this.reports.liveSegments(tx)) {
        const audience = await this.segmentRules.audienceSql(segment.rule, 2, asOf, tx);
        out.push({ segmentId: segment.id, segmentName: segment.name, ...valueView(await this.reports.value(tx, audience, since, until)) });
      }
      return out;
    });
    return { asOf, months, since, until, segments };
  }

  async valueCsv(actor: Actor, query: { months?: number; until?: string } = {}): Promise<string> {
    const { segments } = await this.value(actor, query);
    const header = [
      'segmentId', 'segmentName', 'members', 'valued', 'totalLifetimeValue', 'meanLifetimeValue', 'medianLifetimeValue',
      'abcA', 'abcAShare', 'lifetimeValueA', 'abcB', 'abcBShare', 'lifetimeValueB', 'abcC', 'abcCShare', 'lifetimeValueC', 'unclassified', 'heavyToLight',
    ];
    return stringify([
      header,
      ...segments.map((s) => [
        s.segmentId, s.segmentName, s.members, s.valued, s.lifetimeValue.total, s.lifetimeValue.mean ?? '', s.lifetimeValue.median ?? '',
        ...(['A', 'B', 'C'] as const).flatMap((k) => [s.abc[k].contacts, s.abc[k].share ?? '', s.abc[k].lifetimeValue]),
        s.abc.unclassified, s.heavyToLight,
      ]),
    ]);
  }
}

function valueView(row: SegmentValueRow) {
  const share = (n: number) => (row.members > 0 ? Math.round((10_000 * n) / row.members) / 10_000 : null);
  return {
    members: row.members,
    /** Members with a computed lifetime value: the base of the mean and the median. */
    valued: row.valued,
    lifetimeValue: { total: row.totalLifetimeValue, mean: row.meanLifetimeValue, median: row.medianLifetimeValue },
    abc: {
      A: { contacts: row.abcA, share: share(row.abcA), lifetimeValue: row.lifetimeValueA },
      B: { contacts: row.abcB, share: share(row.abcB), lifetimeValue: row.lifetimeValueB },
      C: { contacts: row.abcC, share: share(row.abcC), lifetimeValue: row.lifetimeValueC },
      unclassified: row.members - row.abcA - row.abcB - row.abcC,
    },
    heavyToLight: row.heavyToLight,
  };
}

function performanceFilter(query: SegmentReportQuery) {
  const from = query.from ? new Date(query.from) : null;
  const until = query.until ? new Date(query.until) : null;
  if (from && until && from >= until) throw ApiError.validation([{ field: 'from', problem: 'from must be before until' }]);
  return { from, until, channel: query.channel ?? null };
}

function pick<K extends string, V>(record: Record<string, V>, keys: readonly K[]): Record<K, V> {
  return Object.fromEntries(keys.map((k) => [k, record[k]])) as Record<K, V>;
}

export function wholeBaseForbidden(): ApiError {
  return new ApiError(403, 'FORBIDDEN', 'This report covers the whole customer base; a key limited to campaigns cannot read it.');
}
