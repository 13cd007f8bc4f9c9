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
    values.raw.push(await raw(round));
    values.tidings.push(await tidings(round));
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
