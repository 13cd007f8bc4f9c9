import { DateTime } from 'luxon';
import { ABC_CLASSES, FREQUENCY_CLASSES, LOYALTY_STAGES } from '../../memory/value/value-rules';
import type { CampaignReportService } from '../campaign-report.service';
import type { DashboardTexts } from './dashboard-texts';

/**
 * What the dashboard pages show, built from the report services' answers: each chart as a Chart.js
 * configuration (data only, drawn by our static script) and the table with the same numbers, so the
 * page is complete without JavaScript and a screen reader reads the table.
 */
export interface ChartView {
  id: string;
  title: string;
  hint?: string;
  /** Shown instead of the chart when there is nothing to draw. */
  empty?: string;
  /** The table goes under the chart rather than beside it (too many columns to sit beside it). */
  stacked?: boolean;
  config: { type: 'bar' | 'line'; data: { labels: string[]; datasets: Array<{ label: string; data: number[] } & Record<string, unknown>> }; options: Record<string, unknown> };
  table: TableView;
}

export interface TableView {
  caption: string;
  head: string[];
  rows: Array<{ label: string; cells: Array<string | number>; total?: boolean }>;
}

type Texts = DashboardTexts;

/** Distinct at a glance and readable on white; the same order on every chart. */
const PALETTE = ['#0b4f8a', '#d97706', '#1e8a5e', '#b42318', '#6b4fa0', '#0e7c86', '#4a4a4a', '#a15c07'];

function colour(index: number, line = false): Record<string, unknown> {
  const c = PALETTE[index % PALETTE.length];
  return line ? { borderColor: c, backgroundColor: c, tension: 0, pointRadius: 3 } : { backgroundColor: c, borderColor: c };
}

function options(extra: { stacked?: boolean; horizontal?: boolean } = {}): Record<string, unknown> {
  const counts = { beginAtZero: true, ticks: { precision: 0 }, ...(extra.stacked ? { stacked: true } : {}) };
  const categories = extra.stacked ? { stacked: true } : {};
  return {
    // Drawn once, at once: a report needs no motion, and what is on screen is the data.
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    ...(extra.horizontal ? { indexAxis: 'y' } : {}),
    scales: extra.horizontal ? { x: counts, y: categories } : { x: categories, y: counts },
    plugins: { legend: { position: 'bottom' } },
  };
}

// ---------------------------------------------------------------- campaign

export type FunnelReportLike = Pick<Awaited<ReturnType<CampaignReportService['funnel']>>, 'total' | 'lines'>;

export const FUNNEL_STAGES = ['materialised', 'sent', 'delivered', 'openedUnique', 'clickedUnique'] as const;
const FUNNEL_TABLE_COUNTS = [
  'materialised', 'sent', 'delivered', 'bounced', 'failed', 'deadLettered', 'skipped', 'deferred', 'waiting',
  'openedUnique', 'openedTotal', 'clickedUnique', 'clickedTotal', 'replied', 'unsubscribed',
] as const;

export function lineLabel(line: { channel: string; variant: string }): string {
  return `${line.channel} / ${line.variant}`;
}

export function funnelChart(report: FunnelReportLike, t: Texts): ChartView {
  const labels = report.lines.map(lineLabel);
  return {
    id: 'funnel',
    title: t.funnelTitle,
    hint: t.funnelHint,
    empty: report.lines.length === 0 ? t.noTimeline : undefined,
    stacked: true,
    config: {
      type: 'bar',
      data: { labels, datasets: FUNNEL_STAGES.map((stage, i) => ({ label: t[stage], data: report.lines.map((l) => l[stage]), ...colour(i) })) },
      options: options(),
    },
    table: {
      caption: t.funnelTitle,
      head: [t.channelVariant, ...FUNNEL_TABLE_COUNTS.map((k) => t[k])],
      rows: [
        ...report.lines.map((l) => ({ label: lineLabel(l), cells: FUNNEL_TABLE_COUNTS.map((k) => l[k]) })),
        { label: t.allLines, cells: FUNNEL_TABLE_COUNTS.map((k) => report.total[k]), total: true },
      ],
    },
  };
}

export function ratesTable(report: FunnelReportLike, t: Texts): TableView {
  const keys = [['sent', t.rateSent], ['delivered', t.rateDelivered], ['opened', t.rateOpened], ['clicked', t.rateClicked], ['unsubscribed', t.rateUnsubscribed]] as const;
  return {
    caption: t.ratesTitle,
    head: [t.channelVariant, ...keys.map(([, label]) => label)],
    rows: [
      ...report.lines.map((l) => ({ label: lineLabel(l), cells: keys.map(([k]) => percent(l.rates[k])) })),
      { label: t.allLines, cells: keys.map(([k]) => percent(report.total.rates[k])), total: true },
    ],
  };
}

export function skipReasonsChart(report: FunnelReportLike, t: Texts): ChartView {
  const reasons = Object.entries(report.total.reasons.skipped ?? {}).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return {
    id: 'skip-reasons',
    title: t.skipTitle,
    empty: reasons.length === 0 ? t.noSkips : undefined,
    config: {
      type: 'bar',
      data: { labels: reasons.map(([r]) => r), datasets: [{ label: t.skipped, data: reasons.map(([, n]) => n), ...colour(3) }] },
      options: { ...options({ horizontal: true }), plugins: { legend: { display: false } } },
    },
    table: { caption: t.skipTitle, head: [t.reason, t.count], rows: reasons.map(([r, n]) => ({ label: r, cells: [n] })) },
  };
}

/** Failures, dead letters and deferrals: a table only, they are rarely many. */
export function otherReasonsTable(report: FunnelReportLike, t: Texts): TableView {
  const outcomes = [['failed', t.failed], ['dead', t.deadLettered], ['deferred', t.deferred]] as const;
  const rows = outcomes.flatMap(([outcome, name]) =>
    Object.entries(report.total.reasons[outcome] ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, n]) => ({ label: name, cells: [reason, n] })),
  );
  return { caption: t.otherReasonsTitle, head: [t.outcome, t.reason, t.count], rows };
}

export interface TimelineBucketLike {
  bucket: string;
  sent: number;
  opened: number;
  clicked: number;
}

/** Beyond this many buckets the gaps are not filled: a year of hours would be a wall of zeros. */
const MAX_FILLED_BUCKETS = 24 * 92;

/**
 * Every local hour or day from the first bucket to the last, zero where nothing happened, so the
 * line's spacing is time. Wall-clock labels as the report gives them: a repeated autumn hour is one
 * bucket there (the SQL groups by local time), and a skipped spring hour does not exist.
 */
export function continuousBuckets(buckets: TimelineBucketLike[], bucket: 'hour' | 'day', timeZone: string): TimelineBucketLike[] {
  if (buckets.length < 2) return buckets;
  const byLabel = new Map(buckets.map((b) => [b.bucket, b]));
  const format = "yyyy-MM-dd'T'HH:mm";
  const last = buckets[buckets.length - 1].bucket;
  const out: TimelineBucketLike[] = [];
  let at = DateTime.fromFormat(buckets[0].bucket, format, { zone: timeZone });
  while (at.isValid && out.length <= MAX_FILLED_BUCKETS) {
    const label = at.toFormat(format);
    if (label > last) return out;
    if (out.length === 0 || out[out.length - 1].bucket !== label) out.push(byLabel.get(label) ?? { bucket: label, sent: 0, opened: 0, clicked: 0 });
    at = bucket === 'hour' ? at.plus({ hours: 1 }) : at.plus({ days: 1 }).startOf('day');
  }
  return buckets;
}

export function bucketLabel(bucket: string, size: 'hour' | 'day'): string {
  return size === 'day' ? bucket.slice(0, 10) : bucket.replace('T', ' ');
}

export function timelineChart(buckets: TimelineBucketLike[], size: 'hour' | 'day', timeZone: string, t: Texts): ChartView {
  const labels = buckets.map((b) => bucketLabel(b.bucket, size));
  const series = [['sent', t.sent], ['opened', t.opened], ['clicked', t.clicked]] as const;
  return {
    id: 'timeline',
    title: t.timelineTitle,
    hint: `${size === 'hour' ? t.hour : t.day} · ${timeZone}`,
    empty: buckets.length === 0 ? t.noTimeline : undefined,
    config: {
      type: 'line',
      data: { labels, datasets: series.map(([k, label], i) => ({ label, data: buckets.map((b) => b[k]), ...colour(i, true) })) },
      options: options(),
    },
    table: {
      caption: `${t.timelineTitle} (${timeZone})`,
      head: [`${t.localTime} (${timeZone})`, ...series.map(([, label]) => label)],
      rows: buckets.map((b, i) => ({ label: labels[i], cells: series.map(([k]) => b[k]) })),
    },
  };
}

// ---------------------------------------------------------------- customer value

export interface ValueReportLike {
  distribution: Array<{ dimension: string; value: string; contacts: number; lifetimeValue: string | null }>;
  movements: Array<{ month: string; dimension: string; from: string | null; to: string; contacts: number }>;
}

function classChart(id: string, title: string, head: string, classes: readonly string[], report: ValueReportLike, dimension: string, t: Texts, index: number): ChartView {
  const rows = classes.map((value) => report.distribution.find((d) => d.dimension === dimension && d.value === value) ?? { value, contacts: 0, lifetimeValue: null });
  return {
    id,
    title,
    config: {
      type: 'bar',
      data: { labels: [...classes], datasets: [{ label: t.contacts, data: rows.map((r) => r.contacts), ...colour(index) }] },
      options: { ...options(), plugins: { legend: { display: false } } },
    },
    table: { caption: title, head: [head, t.contacts, t.lifetimeValue], rows: rows.map((r) => ({ label: r.value, cells: [r.contacts, r.lifetimeValue ?? '0.00'] })) },
  };
}

/** The months of the window, oldest first, in the report's time zone: a month with no moves still shows. */
export function monthsOfWindow(months: number, until: Date, timeZone: string): string[] {
  // `until` is exclusive: the window's last month is the one holding the instant just before it.
  const last = DateTime.fromJSDate(new Date(until.getTime() - 1), { zone: timeZone }).startOf('month');
  return Array.from({ length: months }, (_, i) => last.minus({ months: months - 1 - i }).toFormat('yyyy-MM'));
}

function movesChart(id: string, title: string, report: ValueReportLike, dimension: string, months: string[], t: Texts): ChartView {
  const moves = report.movements.filter((m) => m.dimension === dimension);
  const pairs = [...new Set(moves.map((m) => `${m.from ?? '—'} → ${m.to}`))].sort();
  const count = (month: string, pair: string) => moves.filter((m) => m.month === month && `${m.from ?? '—'} → ${m.to}` === pair).reduce((n, m) => n + m.contacts, 0);
  return {
    id,
    title,
    empty: moves.length === 0 ? t.noMoves : undefined,
    config: {
      type: 'bar',
      data: { labels: months, datasets: pairs.map((pair, i) => ({ label: pair, data: months.map((month) => count(month, pair)), ...colour(i) })) },
      options: options({ stacked: true }),
    },
    table: { caption: title, head: [t.month, ...pairs], rows: months.map((month) => ({ label: month, cells: pairs.map((pair) => count(month, pair)) })) },
  };
}

export function valueCharts(report: ValueReportLike, months: string[], t: Texts): ChartView[] {
  const heavyToLight = months.map((month) =>
    report.movements.filter((m) => m.dimension === 'frequency_class' && m.from === 'heavy' && m.to === 'light' && m.month === month).reduce((n, m) => n + m.contacts, 0),
  );
  return [
    classChart('abc', t.abcTitle, t.class, ABC_CLASSES, report, 'abc_class', t, 0),
    movesChart('abc-moves', t.abcMovesTitle, report, 'abc_class', months, t),
    classChart('loyalty', t.loyaltyTitle, t.stage, LOYALTY_STAGES, report, 'loyalty_stage', t, 2),
    movesChart('loyalty-moves', t.loyaltyMovesTitle, report, 'loyalty_stage', months, t),
    classChart('frequency', t.frequencyTitle, t.class, FREQUENCY_CLASSES, report, 'frequency_class', t, 5),
    {
      id: 'heavy-to-light',
      title: t.heavyToLightTitle,
      hint: t.heavyToLightHint,
      config: {
        type: 'bar',
        data: { labels: months, datasets: [{ label: t.contacts, data: heavyToLight, ...colour(3) }] },
        options: { ...options(), plugins: { legend: { display: false } } },
      },
      table: { caption: t.heavyToLightTitle, head: [t.month, t.contacts], rows: months.map((month, i) => ({ label: month, cells: [heavyToLight[i]] })) },
    },
  ];
}

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;
}
