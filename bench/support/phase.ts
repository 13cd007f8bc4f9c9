import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';

/**
 * The contract every benchmark phase follows, so `npm run bench` can run them in turn and print one
 * table. A phase measures its raw ceiling and Tidings doing the same work in the same run,
 * alternating `rounds` times, and reports medians: absolute figures drift ±20% between runs on a
 * shared machine, ratios much less.
 */
export interface BenchOptions {
  /** `--quick`: a 10× smaller run (CI may run it; it never fails on a ratio). */
  quick: boolean;
  rounds: number;
  /** PostgreSQL server to create the phase's own database on (BENCH_DATABASE_URL, else local). */
  serverUrl: string;
  /** Where a phase may write scratch files (removed after the run). */
  workDir: string;
}

/** One row of the table. `higherIsBetter` says how to read the ratio against the target. */
export interface PhaseResult {
  phase: string;
  /** e.g. "messages/s", "rows/s", "s", "ms". */
  unit: string;
  raw: number | null;
  tidings: number;
  /** tidings / raw for throughput, tidings / raw for times (then lower is better); null without a raw side. */
  ratio: number | null;
  target: string;
  met: boolean;
  /** Secondary figures (peak RSS, p99, per-round values), printed after the table and kept in the JSON. */
  extra: Record<string, unknown>;
}

export interface BenchPhase {
  /** Short name for `npm run bench -- --only <name>`. */
  name: string;
  run(options: BenchOptions): Promise<PhaseResult[]>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs raw and Tidings alternately `rounds` times and returns each side's values in order. */
export async function alternate(rounds: number, raw: (round: number) => Promise<number>, tidings: (round: number) => Promise<number>): Promise<{ raw: number[]; tidings: number[] }> {
  const values = { raw: [] as number[], tidings: [] as number[] };
  for (let round = 1; round <= rounds; round++) {
    // Time a phase does not mark inside its rounds (measured work, resets) shows up as `rounds`.
    values.raw.push(await phaseClock().span('rounds', () => raw(round)));
    values.tidings.push(await phaseClock().span('rounds', () => tidings(round)));
  }
  return values;
}

/** Samples a process's resident set size (from /proc) until stopped; returns the peak in MB. */
export function sampleRss(pid: number, everyMs = 50): { stop(): number } {
  let peakKb = 0;
  const read = () => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // The process has ended; keep the peak seen so far.
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      read();
      return Math.round(peakKb / 1024);
    },
  };
}

/**
 * Where a phase's wall time went. `measured` is the work the figures are computed from (the timed
 * windows of both sides); everything else is fixed overhead the bench pays to make those windows
 * fair and repeatable, and is what `npm run bench`'s own run time can be cut on.
 */
export const TIME_KINDS = {
  measured: 'the timed windows of both sides',
  'warm-up': 'unmeasured passes so neither side pays for a cold cache',
  'round setup': "each round's reset: emptying tables, checkpoints, campaigns to run",
  rounds: 'inside a round, not marked by the phase (a phase that marks nothing: measured work and its round setup together)',
  build: 'building or copying dist/',
  seed: 'seeding databases (the seeded template, built once per signature)',
  copy: 'databases created from templates, or recreated empty',
  boot: 'application, worker and service start-ups',
  sink: 'sinks started in their own processes',
  data: 'data generated once per run: files, rendered messages, COPY text',
  verify: 'checks that each side did all of the work',
  teardown: 'stopping processes, closing connections, dropping data',
} as const;
export type TimeKind = keyof typeof TIME_KINDS;

export interface PhaseTimes {
  /** The phase's wall time, start to end. */
  seconds: number;
  /** Seconds per kind, each span counted without the spans nested in it; `unattributed` is the rest. */
  byKind: Partial<Record<TimeKind | 'unattributed', number>>;
  /** Whether the phase marks its measured windows (otherwise they hide in `rounds`). */
  marksMeasured: boolean;
}

/**
 * Attributes a phase's wall time to kinds of work. Spans nest (a `measured` span inside a round is
 * taken out of the round's time); they are meant to run one after another, as a phase's steps do.
 */
export class PhaseClock {
  private readonly started = performance.now();
  private readonly totals = new Map<TimeKind, number>();
  private readonly enclosing = new AsyncLocalStorage<{ nestedSeconds: number; warmingUp: boolean }>();

  async span<T>(kind: TimeKind, work: () => Promise<T> | T): Promise<T> {
    const frame = { nestedSeconds: 0, warmingUp: kind === 'warm-up' || (this.enclosing.getStore()?.warmingUp ?? false) };
    const started = performance.now();
    try {
      return await this.enclosing.run(frame, work);
    } finally {
      this.charge(kind, (performance.now() - started) / 1000, frame.nestedSeconds);
    }
  }

  /**
   * Runs `work` as measured work and returns its duration in seconds (the figure's own clock). Inside
   * a warm-up span the same code is warm-up, not measured work.
   */
  async measure(work: () => Promise<unknown>): Promise<number> {
    const started = performance.now();
    await this.span(this.enclosing.getStore()?.warmingUp ? 'warm-up' : 'measured', work);
    return (performance.now() - started) / 1000;
  }

  times(): PhaseTimes {
    const seconds = (performance.now() - this.started) / 1000;
    const byKind: PhaseTimes['byKind'] = {};
    let attributed = 0;
    for (const kind of Object.keys(TIME_KINDS) as TimeKind[]) {
      const value = this.totals.get(kind);
      if (value === undefined) continue;
      byKind[kind] = round2(value);
      attributed += value;
    }
    byKind.unattributed = round2(Math.max(0, seconds - attributed));
    return { seconds: round2(seconds), byKind, marksMeasured: this.totals.has('measured') };
  }

  private charge(kind: TimeKind, seconds: number, nestedSeconds: number): void {
    this.totals.set(kind, (this.totals.get(kind) ?? 0) + seconds - nestedSeconds);
    const parent = this.enclosing.getStore();
    if (parent) parent.nestedSeconds += seconds;
  }
}

let currentClock = new PhaseClock();

/** The clock of the phase running now (`npm run bench` starts one per phase). */
export function phaseClock(): PhaseClock {
  return currentClock;
}

/** Starts a new clock for the next phase; the harness calls it. */
export function startPhaseClock(): PhaseClock {
  currentClock = new PhaseClock();
  return currentClock;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
