/**
 * SMS campaign throughput against its raw ceiling (issue 6).
 *
 * 20,000 messages (--quick: 2,000) to a local HTTP server that speaks Twilio's "create message" call
 * and only counts, in its own process (support/counting-twilio-sink.ts). Both sides post the same
 * texts — the `bench-notice` SMS template rendered for each contact, one GSM-7 segment — with the
 * same To, From and StatusCallback, over the same number of connections in flight (the worker's
 * WORKER_CONCURRENCY):
 *   raw      bare POSTs through node's http Agent (support/sms-raw-sender.ts), own process;
 *   Tidings  a broadcast SMS campaign delivered by the real DeliveryWorker with the real twilio
 *            client (support/sms-tidings-worker.ts), own process, its RSS sampled alone.
 * A round's time runs from the command to the moment the sink has every message. Three alternating
 * rounds, medians. `--profile` writes a CPU profile of the Tidings process and prints where its
 * time went (DB / twilio client / render / the rest).
 *
 * `--floor` then measures, three times each, what bounds any durable pipeline on this machine
 * (printed and kept in the result's `extra.floor`, never part of the ratio): the real twilio client
 * alone (the worker's SMS channel sending the round's texts, same concurrency, no database) and
 * the pipeline's per-message writes alone (claim, 'sending' with its messages row, the answer's
 * group commit; no guard, render or provider).
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { recreateDatabase } from '../../test/support/test-database';
import { groupProfile, summariseProfile, writeProfilerPreload } from '../support/cpu-profile-summary';
import { alternate, BenchOptions, BenchPhase, median, PhaseResult, sampleRss } from '../support/phase';
import { ask, endChild, firstMessage, forkPlain, portOf, ROOT, snapshotBuild } from '../support/sms-child';

const DATABASE = 'tidings_bench_sms';
const CONCURRENCY = 20;
const BATCH = 200;
const ACCOUNT_SID = 'AC' + 'b'.repeat(32);
const AUTH_TOKEN = 'bench-auth-token-0123456789abcdef';
const FROM = '+15005550006';
const PUBLIC_BASE_URL = 'https://tidings.bench.test';
const STATUS_CALLBACK_URL = `${PUBLIC_BASE_URL}/channels/sms/twilio/status`;

interface SinkCount {
  accepted: number;
  refused: number;
  bodyBytes: number;
  spanMs: number;
}

export const PROFILE_GROUPS: Array<[string, RegExp]> = [
  ['DB (pg, typeorm)', /^(pg|pg-.*|postgres-.*|typeorm)$/],
  ['twilio client (twilio, axios, qs, dayjs, http)', /^(twilio|axios|qs|dayjs|follow-redirects|form-data|proxy-from-env|node:_http_.*|node:http)$/],
  ['render (handlebars, templates, render context)', /^(handlebars|src\/templates.*|src\/memory\/render-context)$/],
  ['guard', /^src\/memory\/guard$/],
  ['delivery, campaigns, channels (ours)', /^src\/(delivery|campaigns|channels).*$/],
  ['Nest, reflect, rxjs', /^(@nestjs\/.*|reflect-metadata|rxjs)$/],
  ['GC', /^\(gc\)$/],
];

async function run(options: BenchOptions): Promise<PhaseResult[]> {
  const messages = options.quick ? 2_000 : 20_000;
  const profile = process.argv.includes('--profile');
  const distDir = snapshotBuild(options.workDir);

  const sink = forkPlain(join(__dirname, '..', 'support', 'counting-twilio-sink.ts'), { workDir: options.workDir, stdout: 'pipe' });
  const port = await portOf(sink);
  const apiBaseUrl = `http://127.0.0.1:${port}`;
  const databaseUrl = await recreateDatabase(options.serverUrl, DATABASE);
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    SECRET_KEY: 'bench-secret-key-bench-secret-key-0123456789',
    PUBLIC_BASE_URL,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_FROM: FROM,
    TWILIO_API_BASE_URL: apiBaseUrl,
    OUTBOX_DIR: join(options.workDir, 'outbox'),
    RUN_WORKERS: 'false',
    WORKER_BATCH_SIZE: String(BATCH),
    WORKER_CONCURRENCY: String(CONCURRENCY),
    DB_POOL_SIZE: '20',
    BENCH_DIST: distDir,
  };
  const workerScript = join(__dirname, '..', 'support', 'sms-tidings-worker.ts');
  const children = [sink];
  try {
    const preparing = forkPlain(workerScript, { workDir: options.workDir, env, args: ['prepare', String(messages), String(options.rounds), options.workDir] });
    children.push(preparing);
    console.log(`seeding ${messages.toLocaleString('en')} contacts with a phone and SMS consent, rendering the raw side's texts…`);
    await firstMessage(preparing);
    await endChild(preparing);

    const raw = forkPlain(join(__dirname, '..', 'support', 'sms-raw-sender.ts'), { workDir: options.workDir });
    children.push(raw);
    await firstMessage(raw);
    const profilePrefix = join(options.workDir, 'sms-tidings');
    const profileFile = `${profilePrefix}-1.cpuprofile`;
    const tidings = forkPlain(workerScript, {
      workDir: options.workDir,
      env,
      args: ['worker'],
      execArgv: profile ? ['-r', writeProfilerPreload(options.workDir, profilePrefix)] : [],
    });
    children.push(tidings);
    await firstMessage(tidings);
    // The profile covers the rounds, not the start-up.
    if (profile) tidings.send({ profiler: 'start' });

    const untilSinkHas = async (): Promise<SinkCount> => {
      for (;;) {
        const count = await ask<SinkCount>(sink, 'count');
        if (count.accepted + count.refused >= messages) return count;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const rounds: Array<Record<string, unknown>> = [];
    const rawRss: number[] = [];
    const tidingsRss: number[] = [];
    const values = await alternate(
      options.rounds,
      async (round) => {
        await ask(sink, 'reset');
        const rss = sampleRss(raw.pid!);
        const started = performance.now();
        const result = await ask<{ sent: number; failed: number }>(raw, {
          cmd: 'send',
          file: join(options.workDir, `sms-round-${round}.jsonl`),
          concurrency: CONCURRENCY,
          apiBaseUrl,
          accountSid: ACCOUNT_SID,
          authToken: AUTH_TOKEN,
          from: FROM,
          statusCallbackUrl: STATUS_CALLBACK_URL,
        });
        const count = await untilSinkHas();
        const seconds = (performance.now() - started) / 1000;
        rawRss.push(rss.stop());
        if (result.sent !== messages || count.accepted !== messages) throw new Error(`raw round ${round}: ${JSON.stringify({ result, count })}`);
        const perSecond = messages / seconds;
        rounds.push({ side: 'raw', round, perSecond: Math.round(perSecond), seconds: Number(seconds.toFixed(2)), bytesPerBody: Math.round(count.bodyBytes / count.accepted) });
        console.log(`raw      ${Math.round(perSecond)}/s (${seconds.toFixed(2)} s; ${Math.round(count.bodyBytes / count.accepted)} B a form)`);
        return perSecond;
      },
      async (round) => {
        await ask(sink, 'reset');
        const rss = sampleRss(tidings.pid!);
        const started = performance.now();
        const result = await ask<{ progress: Record<string, number>; claims: number }>(tidings, { cmd: 'round', round });
        const count = await untilSinkHas();
        const seconds = (performance.now() - started) / 1000;
        const peak = rss.stop();
        tidingsRss.push(peak);
        if (result.progress.sent !== messages || count.accepted !== messages) throw new Error(`Tidings round ${round}: ${JSON.stringify({ result, count })}`);
        const perSecond = messages / seconds;
        rounds.push({ side: 'tidings', round, perSecond: Math.round(perSecond), seconds: Number(seconds.toFixed(2)), bytesPerBody: Math.round(count.bodyBytes / count.accepted), peakRssMb: peak, claims: result.claims });
        console.log(`Tidings  ${Math.round(perSecond)}/s (${seconds.toFixed(2)} s; ${Math.round(count.bodyBytes / count.accepted)} B a form; RSS peak ${peak} MB)`);
        return perSecond;
      },
    );

    // Not with --profile: the profile is of the rounds.
    const floor = process.argv.includes('--floor') && !profile ? await measureFloor(tidings, sink, options.workDir, untilSinkHas, messages) : undefined;
    await endChild(tidings);
    let profileFigures: Record<string, unknown> | undefined;
    if (profile) {
      if (existsSync(profileFile)) {
        // Kept beside the results (the scratch folder goes), for Chrome DevTools or speedscope.
        const file = join(ROOT, 'bench', 'results', `sms-tidings${options.quick ? '-quick' : ''}.cpuprofile`);
        mkdirSync(dirname(file), { recursive: true });
        copyFileSync(profileFile, file);
        const summary = summariseProfile(file);
        profileFigures = {
          busyMs: Math.round(summary.total),
          idleMs: Math.round(summary.idle),
          percentOfBusy: groupProfile(summary, PROFILE_GROUPS),
          topOwnersMs: Object.fromEntries(summary.byOwner.slice(0, 15).map(([owner, ms]) => [owner, Math.round(ms)])),
        };
        console.log(`Tidings CPU profile (the rounds, ${file}):\n${JSON.stringify(profileFigures, null, 2)}`);
      }
    }

    const rawMedian = median(values.raw);
    const tidingsMedian = median(values.tidings);
    const ratio = tidingsMedian / rawMedian;
    return [
      {
        phase: `SMS campaign, ${messages.toLocaleString('en')} messages, ${CONCURRENCY} in flight`,
        unit: 'messages/s',
        raw: Math.round(rawMedian),
        tidings: Math.round(tidingsMedian),
        ratio,
        target: '≥ 0.70 × raw',
        met: ratio >= 0.7,
        extra: {
          tidingsPeakRssMb: median(tidingsRss),
          rawPeakRssMb: median(rawRss),
          workerBatch: BATCH,
          rounds,
          ...(profileFigures ? { profile: profileFigures } : {}),
          ...(floor ? { floor: { ...floor, clientOnlyOfRaw: Number((floor.clientOnlyPerSecond / rawMedian).toFixed(2)), writesOnlyOfRaw: Number((floor.writesOnlyPerSecond / rawMedian).toFixed(2)) } } : {}),
        },
      },
    ];
  } finally {
    for (const child of children.reverse()) await endChild(child).catch(() => undefined);
  }
}

/** `--floor`: the twilio client alone and the pipeline's writes alone, alternated three times, medians. */
async function measureFloor(
  tidings: ChildProcess,
  sink: ChildProcess,
  workDir: string,
  untilSinkHas: () => Promise<SinkCount>,
  messages: number,
): Promise<{ clientOnlyPerSecond: number; writesOnlyPerSecond: number }> {
  const clientOnly: number[] = [];
  const writesOnly: number[] = [];
  for (let i = 1; i <= 3; i++) {
    await ask(sink, 'reset');
    const started = performance.now();
    const result = await ask<{ sent: number; failed: number }>(tidings, { cmd: 'client-only', file: join(workDir, 'sms-round-1.jsonl'), concurrency: CONCURRENCY });
    await untilSinkHas();
    const seconds = (performance.now() - started) / 1000;
    if (result.sent !== messages) throw new Error(`twilio client alone: ${JSON.stringify(result)}`);
    clientOnly.push(messages / seconds);
    const writes = await ask<{ ms: number; sent: number }>(tidings, { cmd: 'writes-only', round: i, concurrency: CONCURRENCY, batch: BATCH });
    if (writes.sent !== messages) throw new Error(`writes alone: ${JSON.stringify(writes)}`);
    writesOnly.push(messages / (writes.ms / 1000));
    console.log(`floor    twilio client alone ${Math.round(clientOnly[i - 1])}/s; the pipeline's writes alone ${Math.round(writesOnly[i - 1])}/s`);
  }
  return { clientOnlyPerSecond: Math.round(median(clientOnly)), writesOnlyPerSecond: Math.round(median(writesOnly)) };
}

export const phase: BenchPhase = { name: 'sms', run };
