/**
 * E-mail campaign against its raw ceiling.
 *
 * Both sides send the same messages — the `newsletter` template rendered for each contact (~4 KB of
 * HTML plus its text part) — over the same number of SMTP connections (5) to the same sink, an
 * `smtp-server` in its own process that only counts. Raw: nodemailer's pooled transport given the
 * pre-rendered messages all at once. Tidings: a broadcast campaign delivered by the real worker
 * program (`src/worker.ts`, its own process: outbox claim, goldfish guard, render, channel, record),
 * whose peak RSS is sampled from /proc. Full: 50,000 messages; --quick: 5,000.
 */
import { createTransport } from 'nodemailer';
import { htmlToPlainText } from '../../src/channels/email/email-message.builder';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { recreateDatabase } from '../../test/support/test-database';
import { WorkerProcess } from '../../test/support/worker-process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { newestProfile, summariseProfile, writeProfilerPreload } from '../support/cpu-profile-summary';
import { alternate, BenchOptions, BenchPhase, median, PhaseResult, sampleRss } from '../support/phase';
import { startCountingSmtpSink } from '../support/counting-smtp-sink.client';
import { bootBenchApp, BENCH_SECRET_KEY } from '../support/bench-app';

const ROOT = join(__dirname, '..', '..');
const POOL = 5;
/** The heap settings `npm run worker` starts the worker with (package.json), so the bench measures what users run. */
const WORKER_NODE_ARGS = ['--max-old-space-size=256', '--max-semi-space-size=8'];

interface RenderedMail {
  to: string;
  subject: string;
  html: string;
  text?: string;
}

export const phase: BenchPhase = {
  name: 'email',
  async run(options: BenchOptions): Promise<PhaseResult[]> {
    const messages = options.quick ? 5_000 : 50_000;
    const sink = await startCountingSmtpSink();
    const databaseUrl = await recreateDatabase(options.serverUrl, 'tidings_bench_email');
    const env = {
      DATABASE_URL: databaseUrl,
      SECRET_KEY: BENCH_SECRET_KEY,
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      SMTP_POOL_SIZE: String(POOL),
      OUTBOX_DIR: `${options.workDir}/outbox`,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    };
    const app = await bootBenchApp({ ...env, RUN_WORKERS: 'false' });
    // `--profile`: a CPU profile of the worker over the measured rounds, summarised by the code that spent the time.
    const profileDir = process.argv.includes('--profile') ? join(options.workDir, 'email-profile') : null;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    const worker = new WorkerProcess(
      { ...env, RUN_WORKERS: 'true' },
      { compiled: true, nodeArgs: [...WORKER_NODE_ARGS, ...(profileDir ? ['-r', writeProfilerPreload(profileDir, join(profileDir, 'worker'))] : [])] },
    ).start();
    if (profileDir) worker.send({ profiler: 'start' });
    try {
      await seed(app.get(DataSource), messages);
      const rendered = await renderAll(app);
      const averageHtml = rendered.reduce((sum, m) => sum + Buffer.byteLength(m.html), 0) / rendered.length;
      console.log(`${messages.toLocaleString('en')} messages, ${Math.round(averageHtml)} bytes of HTML on average`);

      let senderPeakMb = 0;
      const untilSinkHas = async (started: number) => {
        while ((await sink.ask('count')).accepted < messages) {
          if (worker.stopped) throw new Error(`the worker stopped:\n${worker.log}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return messages / ((performance.now() - started) / 1000);
      };
      const values = await alternate(
        options.rounds,
        async () => {
          await sink.ask('reset');
          const started = performance.now();
          await sendRaw(sink.port, rendered);
          const perSecond = await untilSinkHas(started);
          console.log(`raw      ${Math.round(perSecond)}/s`);
          return perSecond;
        },
        async (round) => {
          await sink.ask('reset');
          const rss = sampleRss(worker.pid);
          const started = performance.now();
          const campaignId = await startBroadcast(app, `Bench round ${round}`);
          const perSecond = await untilSinkHas(started);
          senderPeakMb = Math.max(senderPeakMb, rss.stop());
          await expectAllSent(app, campaignId, messages);
          console.log(`tidings  ${Math.round(perSecond)}/s (worker peak RSS ${senderPeakMb} MB)`);
          return perSecond;
        },
      );
      const raw = median(values.raw);
      const tidings = median(values.tidings);
      const ratio = tidings / raw;
      return [
        {
          phase: `e-mail campaign, ${messages.toLocaleString('en')} × ~${(averageHtml / 1024).toFixed(1)} KB HTML, ${POOL} SMTP connections`,
          unit: 'msg/s',
          raw: Math.round(raw),
          tidings: Math.round(tidings),
          ratio: Number(ratio.toFixed(2)),
          target: '≥ 0.70 × raw, sender RSS ≤ 300 MB',
          met: ratio >= 0.7 && senderPeakMb <= 300,
          extra: { senderPeakRssMb: senderPeakMb, rawPerRound: values.raw.map(Math.round), tidingsPerRound: values.tidings.map(Math.round) },
        },
      ];
    } finally {
      await worker.stop();
      await app.close();
      sink.stop();
      const written = profileDir && existsSync(profileDir) ? newestProfile(profileDir) : null;
      if (written) {
        // Kept beside the results (the scratch folder goes), for Chrome DevTools or speedscope.
        const profile = join(ROOT, 'bench', 'results', `email-worker${options.quick ? '-quick' : ''}.cpuprofile`);
        mkdirSync(dirname(profile), { recursive: true });
        copyFileSync(written, profile);
        console.log(`worker CPU profile written to ${profile}`);
        const summary = summariseProfile(profile);
        const busy = summary.total;
        console.log(`worker CPU profile (${(busy / 1000).toFixed(1)} s busy, ${(summary.idle / 1000).toFixed(1)} s idle):`);
        for (const [owner, ms] of summary.byOwner.slice(0, 25)) console.log(`  ${owner.padEnd(40)} ${((100 * ms) / busy).toFixed(1)}%`);
      }
    }
  },
};

async function seed(db: DataSource, messages: number): Promise<void> {
  await db.query(
    `INSERT INTO contacts (given_name, family_name, form_of_address, email, locale, time_zone, tags)
     SELECT 'Guest', 'No. ' || g, 'Guest ' || g, 'bench-' || g || '@example.test', 'en', 'Etc/UTC', ARRAY['bench']
       FROM generate_series(1, $1::int) g`,
    [messages],
  );
  await db.query(
    `INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_by) SELECT id, 'email', 'granted', 'import', 'bench' FROM contacts`,
  );
  await db.query('ANALYZE');
}

/** What the template renders for each contact, so the raw side moves exactly the same bytes. */
async function renderAll(app: INestApplicationContext): Promise<RenderedMail[]> {
  const { RenderContextService } = await import('../../src/memory/render-context/render-context.service');
  const { TemplatesService } = await import('../../src/templates/templates.service');
  const db = app.get(DataSource);
  const contacts: Array<{ id: string; email: string }> = await db.query(`SELECT id, email FROM contacts ORDER BY id`);
  const contexts = app.get(RenderContextService);
  const templates = app.get(TemplatesService);
  const rendered: RenderedMail[] = [];
  for (let i = 0; i < contacts.length; i += 1000) {
    const batch = contacts.slice(i, i + 1000);
    const built = await contexts.buildMany(batch.map((c) => c.id));
    for (const contact of batch) {
      const content = await templates.render({ key: 'newsletter', channel: 'email', locale: 'en', context: built.get(contact.id)!, extra: { campaign: { name: 'Raw ceiling' } } });
      // The same text part the e-mail channel makes when a template has none: both sides send the same MIME parts.
      rendered.push({ to: contact.email, subject: content.subject!, html: content.html!, text: content.text ?? htmlToPlainText(content.html!) });
    }
  }
  return rendered;
}

async function sendRaw(port: number, messages: RenderedMail[]): Promise<void> {
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, pool: true, maxConnections: POOL, ignoreTLS: true });
  await Promise.all(
    messages.map((m) =>
      transport.sendMail({ from: 'Tidings <care@localhost>', to: m.to, subject: m.subject, html: m.html, text: m.text, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }),
    ),
  );
  transport.close();
}

async function startBroadcast(app: INestApplicationContext, name: string): Promise<string> {
  const { CampaignsService } = await import('../../src/campaigns/campaigns.service');
  const { SYSTEM_ACTOR } = await import('../../src/auth/actor');
  const campaigns = app.get(CampaignsService);
  const campaign = await campaigns.create(
    { name, kind: 'broadcast', templateKey: 'newsletter', channels: ['email'], careExempt: true, guardPolicy: { quietHours: '00:00-00:00' } },
    SYSTEM_ACTOR,
  );
  await campaigns.start(campaign.id, SYSTEM_ACTOR);
  return campaign.id;
}

/** The sink's count is the clock; the outbox must agree that every message went, and only once. */
async function expectAllSent(app: INestApplicationContext, campaignId: string, messages: number): Promise<void> {
  const db = app.get(DataSource);
  for (;;) {
    const [row]: Array<{ sent: number; open: number }> = await db.query(
      `SELECT count(*) FILTER (WHERE state = 'sent')::int AS sent, count(*) FILTER (WHERE state NOT IN ('sent', 'failed', 'skipped', 'dead'))::int AS open
         FROM outbox_messages WHERE campaign_id = $1`,
      [campaignId],
    );
    if (row.open === 0) {
      if (row.sent !== messages) throw new Error(`campaign ${campaignId}: ${row.sent} of ${messages} sent`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
