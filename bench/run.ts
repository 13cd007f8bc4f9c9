/**
 * `npm run bench [-- --quick] [-- --only name,name]`: every bulk path against its raw ceiling,
 * measured in the same run, three alternating rounds, medians. Prints one table and writes it to
 * bench/results/bench[-quick].json. Never exits non-zero on a missed ratio (only on an error).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchPhase, PhaseResult } from './support/phase';

const ROOT = join(__dirname, '..');

/** Phases in the order the issue lists them; each module exports `phase`. */
const PHASES: Array<() => Promise<BenchPhase>> = [
  () => import('./phases/email').then((m) => m.phase),
  () => import('./phases/sms').then((m) => m.phase),
  () => import('./phases/audience').then((m) => m.phase),
  () => import('./phases/import').then((m) => m.phase),
  () => import('./phases/birthday').then((m) => m.phase),
  () => import('./phases/queue').then((m) => m.phase),
  () => import('./phases/api').then((m) => m.phase),
];

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const only = onlyArg ? new Set(onlyArg.split(',')) : null;
  const workDir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  const options = { quick, rounds: 3, serverUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', workDir };
  // Tidings runs as its built program (dist/), as in production; build it if the sources are newer.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.js')], { cwd: ROOT, stdio: 'inherit' });
  const started = performance.now();
  const results: PhaseResult[] = [];
  try {
    for (const load of PHASES) {
      const phase = await load();
      if (only && !only.has(phase.name)) continue;
      console.log(`\n## ${phase.name}`);
      const phaseStarted = performance.now();
      results.push(...(await phase.run(options)));
      console.log(`(${((performance.now() - phaseStarted) / 1000).toFixed(1)} s)`);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  printTable(results);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  console.log(`\n${quick ? 'quick run' : 'full run'} in ${seconds.toFixed(0)} s on ${machine}`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const file = join(ROOT, 'bench', 'results', `bench${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), quick, seconds: Math.round(seconds), machine, results }, null, 2));
  console.log(`written to ${file}`);
}

function printTable(results: PhaseResult[]): void {
  const figure = (value: number | null, unit: string) => (value === null ? '—' : `${value.toLocaleString('en', { maximumFractionDigits: value < 10 ? 2 : 0 })} ${unit}`);
  console.log('\n| phase | raw ceiling | Tidings | ratio | target | met |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.phase} | ${figure(r.raw, r.unit)} | ${figure(r.tidings, r.unit)} | ${r.ratio === null ? '—' : r.ratio.toFixed(2)} | ${r.target} | ${r.met ? 'yes' : 'NO'} |`);
  }
  for (const r of results) {
    if (Object.keys(r.extra).length > 0) console.log(`\n${r.phase}: ${JSON.stringify(r.extra)}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
