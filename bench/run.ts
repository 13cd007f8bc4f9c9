/**
 * `npm run bench [-- --quick] [-- --only=name,name]`: every bulk path against its raw ceiling,
 * measured in the same run, three alternating rounds, medians. Prints one table, then where each
 * phase's wall time went (measured work against fixed overhead), and writes both to
 * bench/results/bench[-quick].json. Never exits non-zero on a missed ratio (only on an error).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { BenchPhase, PhaseResult, PhaseTimes, startPhaseClock, TIME_KINDS, TimeKind } from './support/phase';
import { closeSeededDatabases } from './support/seed-contacts';

const ROOT = join(__dirname, '..');

/** Phases in the order the issue lists them; a module is loaded only when its phase runs. */
const PHASES: Array<{ name: string; load: () => Promise<BenchPhase> }> = [
  { name: 'email', load: () => import('./phases/email').then((m) => m.phase) },
  { name: 'sms', load: () => import('./phases/sms').then((m) => m.phase) },
  { name: 'audience', load: () => import('./phases/audience').then((m) => m.phase) },
  { name: 'import', load: () => import('./phases/import').then((m) => m.phase) },
  { name: 'birthday', load: () => import('./phases/birthday').then((m) => m.phase) },
  { name: 'queue', load: () => import('./phases/queue').then((m) => m.phase) },
  { name: 'api', load: () => import('./phases/api').then((m) => m.phase) },
];

interface PhaseRun extends PhaseTimes {
  name: string;
  results: PhaseResult[];
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const only = onlyArg ? new Set(onlyArg.split(',')) : null;
  const unknown = [...(only ?? [])].filter((name) => !PHASES.some((p) => p.name === name));
  if (unknown.length > 0) throw new Error(`unknown phase ${unknown.join(', ')}; the phases are ${PHASES.map((p) => p.name).join(', ')}`);
  const loadAtStart = loadavg()[0];
  const workDir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  const options = { quick, rounds: 3, serverUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', workDir };
  // Tidings runs as its built program (dist/), as in production; built here once, and only when a
  // source is newer than the build (the phases' own checks then find it up to date).
  const buildStarted = performance.now();
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.js')], { cwd: ROOT, stdio: 'inherit' });
  const buildSeconds = (performance.now() - buildStarted) / 1000;
  loadSourcesFromBuild();
  const runs: PhaseRun[] = [];
  let teardownSeconds = 0;
  try {
    for (const entry of PHASES) {
      if (only && !only.has(entry.name)) continue;
      console.log(`\n## ${entry.name}`);
      const clock = startPhaseClock();
      const phase = await entry.load();
      if (phase.name !== entry.name) throw new Error(`bench/run.ts lists phase ${entry.name}, its module names itself ${phase.name}`);
      const results = await phase.run(options);
      const times = clock.times();
      runs.push({ name: phase.name, ...times, results });
      console.log(`(${times.seconds.toFixed(1)} s: ${describeTimes(times)})`);
    }
  } finally {
    const teardownStarted = performance.now();
    await closeSeededDatabases(options);
    rmSync(workDir, { recursive: true, force: true });
    teardownSeconds = (performance.now() - teardownStarted) / 1000;
  }
  // From the process's start: ts-node compiling the harness is part of the run's time too.
  const seconds = performance.now() / 1000;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  const load = `load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end`;
  printTable(runs);
  printTimes(runs, buildSeconds, teardownSeconds, seconds);
  console.log(`\n${quick ? 'quick run' : 'full run'} in ${seconds.toFixed(0)} s on ${machine} (${load})`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const file = join(ROOT, 'bench', 'results', `bench${quick ? '-quick' : ''}.json`);
  const results = runs.flatMap((run) => run.results.map((result) => ({ ...result, phaseSeconds: run.seconds })));
  const phases = runs.map(({ name, seconds: phaseSeconds, byKind, marksMeasured }) => ({ name, seconds: phaseSeconds, byKind, marksMeasured }));
  writeFileSync(
    file,
    JSON.stringify({ at: new Date().toISOString(), quick, seconds: Math.round(seconds), buildSeconds: round1(buildSeconds), teardownSeconds: round1(teardownSeconds), machine, load, timeKinds: TIME_KINDS, phases, results }, null, 2),
  );
  console.log(`written to ${file}`);
}

/**
 * Makes every `src/` module the harness process loads (the app the in-process phases boot, the
 * services they call) come from the build it just made, as the child processes' do: the same code
 * production runs, and loading it takes seconds where ts-node transpiling the sources takes tens
 * of seconds on a busy machine. The phases keep importing `src/…` (their types come from there).
 */
function loadSourcesFromBuild(): void {
  const sources = join(ROOT, 'src') + sep;
  const loader = Module as unknown as { _resolveFilename(request: string, parent: unknown, ...rest: unknown[]): string };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (request: string, parent: unknown, ...rest: unknown[]): string {
    const resolved = resolve.call(this, request, parent, ...rest);
    if (!resolved.startsWith(sources) || !resolved.endsWith('.ts')) return resolved;
    const built = join(ROOT, 'dist', relative(ROOT, resolved)).replace(/\.ts$/, '.js');
    return existsSync(built) ? built : resolved;
  };
}

function printTable(runs: PhaseRun[]): void {
  const figure = (value: number | null, unit: string) => (value === null ? '—' : `${value.toLocaleString('en', { maximumFractionDigits: value < 10 ? 2 : 0 })} ${unit}`);
  console.log('\n| phase | raw ceiling | Tidings | ratio | target | met | phase seconds |');
  console.log('|---|---|---|---|---|---|---|');
  for (const run of runs) {
    run.results.forEach((r, i) => {
      // A phase's rows share its time: given once, on its first row.
      const seconds = i === 0 ? run.seconds.toFixed(0) : '〃';
      console.log(`| ${r.phase} | ${figure(r.raw, r.unit)} | ${figure(r.tidings, r.unit)} | ${r.ratio === null ? '—' : r.ratio.toFixed(2)} | ${r.target} | ${r.met ? 'yes' : 'NO'} | ${seconds} |`);
    });
  }
  for (const r of runs.flatMap((run) => run.results)) {
    if (Object.keys(r.extra).length > 0) console.log(`\n${r.phase}: ${JSON.stringify(r.extra)}`);
  }
}

/** Where the run's time went: per phase, measured work against each kind of fixed overhead. */
function printTimes(runs: PhaseRun[], buildSeconds: number, teardownSeconds: number, seconds: number): void {
  const overheadKinds = (Object.keys(TIME_KINDS) as TimeKind[]).filter((kind) => kind !== 'measured' && kind !== 'rounds');
  const used = overheadKinds.filter((kind) => runs.some((run) => run.byKind[kind]));
  const columns = ['measured', 'rounds, not marked', ...used, 'unattributed'];
  console.log(`\n| phase | seconds | ${columns.join(' | ')} |`);
  console.log(`|---|---:|${columns.map(() => '---:').join('|')}|`);
  const cell = (value: number | undefined) => (value ? value.toFixed(1) : '');
  for (const run of runs) {
    const cells = [cell(run.byKind.measured), cell(run.byKind.rounds), ...used.map((kind) => cell(run.byKind[kind])), cell(run.byKind.unattributed)];
    console.log(`| ${run.name}${run.marksMeasured ? '' : ' ¹'} | ${run.seconds.toFixed(1)} | ${cells.join(' | ')} |`);
  }
  const measured = runs.reduce((sum, run) => sum + (run.byKind.measured ?? 0), 0);
  const phaseSeconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  if (runs.some((run) => !run.marksMeasured)) {
    console.log('\n¹ marks no measured windows of its own: its measured work is inside "rounds, not marked", with that round\'s resets.');
  }
  console.log(
    `\nbuild ${buildSeconds.toFixed(1)} s; phases ${phaseSeconds.toFixed(0)} s, of which measured work ${measured.toFixed(0)} s (phases that mark it); ` +
      `shared databases closed and dropped, scratch folder removed ${teardownSeconds.toFixed(1)} s; ` +
      `the rest of the ${seconds.toFixed(0)} s ${(seconds - phaseSeconds - buildSeconds - teardownSeconds).toFixed(1)} s.`,
  );
}

function describeTimes(times: PhaseTimes): string {
  return Object.entries(times.byKind)
    .filter(([, value]) => value && value >= 0.05)
    .map(([kind, value]) => `${kind} ${value!.toFixed(1)}`)
    .join(', ');
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
