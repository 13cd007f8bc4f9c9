/**
 * E-mail campaign throughput against its raw ceiling (issue 6, first phase).
 *
 *   npx ts-node --transpile-only bench/email-campaign.ts [messages]      # default 50,000
 *   npx ts-node --transpile-only bench/email-campaign.ts --quick         # 5,000
 *
 * Both sides send the same messages — the `newsletter` template rendered for each contact (~4 KB of
 * HTML plus its text part) — over the same number of SMTP connections (SMTP_POOL_SIZE, 5) to the
 * same sink, an `smtp-server` in its own process that only counts. Raw: nodemailer's pooled
 * transport given the pre-rendered messages all at once. Tidings: a broadcast campaign delivered by
 * the real worker (outbox claim, goldfish guard, render, channel, record). Each runs three times,
 * alternating; medians are reported. Needs PostgreSQL at 127.0.0.1:5432 (BENCH_DATABASE_URL
 * overrides the server); the database `tidings_bench_email` is created afresh.
 */
import 'reflect-metadata';
import { ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { recreateDatabase } from '../test/support/test-database';

const ROOT = join(__dirname, '..');
const QUICK = process.argv.includes('--quick');
const MESSAGES = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? (QUICK ? 5_000 : 50_000));
const POOL = 5;
const ROUNDS = 3;
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'tidings_bench_email';

interface Round {
  side: 'raw' | 'tidings';
  seconds: number;
  perSecond: number;
  peakRssMb: number;
}

async function main(): Promise<void> {
  const sink = await startSink();
  const url = await recreateDatabase(SERVER_URL, DATABASE);
  // The app reads its configuration once, from the environment, as in production.
  Object.assign(process.env, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: url,
    SECRET_KEY: 'bench-secret-key-bench-secret-key-0123456789',
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    SMTP_POOL_SIZE: String(POOL),
    OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-bench-')),
    RUN_WORKERS: 'false',
    WORKER_BATCH_SIZE: '200',
    WORKER_CONCURRENCY: '20',
    DB_POOL_SIZE: '20',
  });
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../src/app.module');
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  const { DataSource } = await import('typeorm');
  const db = app.get(DataSource);
  const { CampaignsService } = await import('../src/campaigns/campaigns.service');
  const { DeliveryWorker } = await import('../src/delivery/delivery-worker');
  const { SYSTEM_ACTOR } = await import('../src/auth/actor');
  const { RenderContextService } = await import('../src/memory/render-context/render-context.service');
  const { TemplatesService } = await import('../src/templates/templates.service');

  console.log(`Seeding ${MESSAGES.toLocaleString('en')} contacts…`);
  await db.query(
    `INSERT INTO contacts (given_name, family_name, form_of_address, email, locale, time_zone, tags)
     SELECT 'Guest', 'No. ' || g, 'Guest ' || g, 'bench-' || g || '@example.test', 'en', 'Etc/UTC', ARRAY['bench']
       FROM generate_series(1, $1::int) g`,
    [MESSAGES],
  );
  await db.query(`INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_by) SELECT id, 'email', 'granted', 'import', 'bench' FROM contacts`);
  await db.query('ANALYZE');

  // The raw side sends exactly what the template renders, so both sides move the same bytes.
  const ids: Array<{ id: string; email: string }> = await db.query(`SELECT id, email FROM contacts ORDER BY id`);
  const contexts = app.get(RenderContextService);
  const templates = app.get(TemplatesService);
  const rendered: Array<{ to: string; subject: string; html: string; text?: string }> = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    const built = await contexts.buildMany(batch.map((c) => c.id));
    for (const contact of batch) {
      const content = await templates.render({ key: 'newsletter', channel: 'email', locale: 'en', context: built.get(contact.id)!, extra: { campaign: { name: 'Raw ceiling' } } });
      rendered.push({ to: contact.email, subject: content.subject!, html: content.html!, text: content.text });
    }
  }
  const averageBytes = rendered.reduce((sum, m) => sum + Buffer.byteLength(m.html), 0) / rendered.length;
  console.log(`Messages: ${Math.round(averageBytes)} bytes of HTML on average.`);

  const rounds: Round[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    rounds.push(await measure('raw', sink, () => sendRaw(sink.port, rendered)));
    rounds.push(
      await measure('tidings', sink, async () => {
        const campaigns = app.get(CampaignsService);
        const campaign = await campaigns.create(
          {
            name: `Bench round ${round}`,
            kind: 'broadcast',
            templateKey: 'newsletter',
            channels: ['email'],
            careExempt: true,
            guardPolicy: { quietHours: '00:00-00:00' },
          },
          SYSTEM_ACTOR,
        );
        await campaigns.start(campaign.id, SYSTEM_ACTOR);
        const worker = app.get(DeliveryWorker);
        while ((await worker.runOnce({ campaignIds: [campaign.id] })).claimed > 0);
        const { progress } = await campaigns.get(campaign.id);
        if (progress.sent !== MESSAGES) throw new Error(`round ${round}: ${JSON.stringify(progress)}`);
      }),
    );
  }
  await app.close();
  sink.process.kill();

  const median = (side: Round['side'], key: 'perSecond' | 'peakRssMb') => {
    const values = rounds.filter((r) => r.side === side).map((r) => r[key]).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  const raw = median('raw', 'perSecond');
  const tidings = median('tidings', 'perSecond');
  const table = {
    phase: `e-mail campaign, ${MESSAGES.toLocaleString('en')} messages (~${Math.round(averageBytes / 1024)} KB HTML), ${POOL} SMTP connections`,
    rawPerSecond: Math.round(raw),
    tidingsPerSecond: Math.round(tidings),
    ratio: Number((tidings / raw).toFixed(2)),
    target: 0.7,
    senderPeakRssMb: Math.round(median('tidings', 'peakRssMb')),
    rounds,
  };
  console.log('\n| phase | raw ceiling | Tidings | ratio | target | sender peak RSS |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| ${table.phase} | ${table.rawPerSecond}/s | ${table.tidingsPerSecond}/s | ${table.ratio} | ≥ ${table.target} | ${table.senderPeakRssMb} MB |`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `email-campaign${QUICK ? '-quick' : ''}.json`), JSON.stringify(table, null, 2));
}

/** Runs one side, waits until the sink has every message, and samples this process's RSS meanwhile. */
async function measure(side: Round['side'], sink: Sink, run: () => Promise<void>): Promise<Round> {
  await sink.ask('reset');
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  await run();
  while ((await sink.ask('count')).accepted < MESSAGES) await new Promise((resolve) => setTimeout(resolve, 20));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const round = { side, seconds: Number(seconds.toFixed(2)), perSecond: Math.round(MESSAGES / seconds), peakRssMb: Math.round(peak / 1024 / 1024) };
  console.log(`${side.padEnd(8)} ${round.perSecond}/s (${round.seconds} s, RSS peak ${round.peakRssMb} MB)`);
  return round;
}

async function sendRaw(port: number, messages: Array<{ to: string; subject: string; html: string; text?: string }>): Promise<void> {
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, pool: true, maxConnections: POOL, ignoreTLS: true });
  await Promise.all(
    messages.map((m) =>
      transport.sendMail({ from: 'Tidings <care@localhost>', to: m.to, subject: m.subject, html: m.html, text: m.text, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }),
    ),
  );
  transport.close();
}

interface Sink {
  port: number;
  process: ChildProcess;
  ask(command: 'count' | 'reset'): Promise<{ accepted: number; bytes: number }>;
}

async function startSink(): Promise<Sink> {
  const child = fork(join(__dirname, 'support', 'counting-smtp-sink.ts'), [], { execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.stdout!.on('data', (chunk: Buffer) => {
    const match = /PORT (\d+)/.exec(chunk.toString());
    if (match) resolve(Number(match[1]));
  }));
  return {
    port,
    process: child,
    ask: (command) =>
      new Promise((resolve) => {
        child.once('message', (reply) => resolve(reply as { accepted: number; bytes: number }));
        child.send(command);
      }),
  };
}


main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
