import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Presets, SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { SYSTEM_ACTOR } from './auth/actor';
import { ROLES, Role } from './auth/api-key.entity';
import { ApiKeysService } from './auth/api-keys.service';
import { CampaignScheduler } from './campaigns/campaign-scheduler.service';
import { CampaignsService, CampaignView } from './campaigns/campaigns.service';
import { ApiError } from './common/errors/api-error';
import { ConfigError, setProcessRole } from './config/app-config';
import { DeliveryWorker } from './delivery/delivery-worker';
import { ImportProgress } from './contacts/import/contact-import.processor';
import { ContactImportService } from './contacts/import/contact-import.service';
import { ImportFileError } from './contacts/import/contact-row.parser';
import { IMPORT_FORMATS, ImportFormat } from './contacts/import/import-job.entity';

const USAGE = `Usage: npm run cli -- <command>
  migrate [--revert]                     run pending migrations (or revert the last one)
  apikey create --role <admin|marketer|viewer> [--name <name>] [--campaigns <id>,<id>]
                                         --campaigns limits a viewer or marketer key to those campaigns
  apikey list
  apikey revoke <id>
  import <file> [--format csv|jsonl]     import contacts (format from .csv/.jsonl/.ndjson when not given)
  campaign run <id>                      start the campaign if it is a draft and deliver it here, with progress
  campaign watch <id>                    show a campaign's progress while workers elsewhere deliver it`;

type Command = (app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>, args: string[]) => Promise<number | void>;

const commands: Record<string, Command> = {
  async migrate(app, args) {
    const { values } = parseArgs({ args, options: { revert: { type: 'boolean' } } });
    const db = app.get(DataSource);
    if (values.revert) {
      await db.undoLastMigration({ transaction: 'each' });
      console.log('Reverted the last migration.');
    } else {
      // The application context already ran pending migrations on start-up.
      const pending = await db.showMigrations();
      console.log(pending ? 'Some migrations are still pending.' : 'The schema is up to date.');
    }
  },

  async apikey(app, args) {
    const [action, ...rest] = args;
    const keys = app.get(ApiKeysService);
    if (action === 'create') {
      const { values } = parseArgs({ args: rest, options: { role: { type: 'string' }, name: { type: 'string' }, campaigns: { type: 'string' } } });
      if (!ROLES.includes(values.role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const campaignIds = values.campaigns === undefined ? null : values.campaigns.split(',').map((id) => id.trim()).filter(Boolean);
      const { key, apiKey } = await keys.create(values.name ?? `${values.role} key`, values.role as Role, SYSTEM_ACTOR, campaignIds);
      const scope = apiKey.campaignIds ? `, limited to campaigns ${apiKey.campaignIds.join(', ')}` : '';
      console.log(`Created ${apiKey.role} key ${apiKey.id} (${apiKey.name}${scope}). Keep it now; it is not shown again:\n${key}`);
    } else if (action === 'list') {
      for (const k of await keys.list()) {
        const scope = k.campaignIds ? `campaigns ${k.campaignIds.join(',')}` : 'all campaigns';
        console.log([k.id, k.role.padEnd(8), k.keyPrefix + '…', k.revokedAt ? 'revoked' : 'active', scope, k.name].join('  '));
      }
    } else if (action === 'revoke' && rest[0]) {
      await keys.revoke(rest[0], SYSTEM_ACTOR);
      console.log(`Revoked ${rest[0]}.`);
    } else {
      throw new UsageError('apikey needs create, list or revoke <id>');
    }
  },

  async import(app, args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string' } } });
    if (positionals.length !== 1) throw new UsageError('import needs exactly one file');
    if (values.format !== undefined && !IMPORT_FORMATS.includes(values.format as ImportFormat)) {
      throw new UsageError(`--format must be one of ${IMPORT_FORMATS.join(', ')}`);
    }
    const bar = new SingleBar(
      { format: 'Importing [{bar}] {percentage}% | {done} of {size} | {seen} rows, {failed} left out | ETA {eta_formatted}', hideCursor: true },
      Presets.shades_classic,
    );
    let started = false;
    const onProgress = ({ processedBytes, totalBytes, rows }: ImportProgress) => {
      const payload = { done: megabytes(processedBytes), size: megabytes(totalBytes), seen: rows.seen, failed: rows.failed };
      if (!started) bar.start(totalBytes, processedBytes, payload);
      else bar.update(processedBytes, payload);
      started = true;
    };
    const { job, firstErrors } = await app
      .get(ContactImportService)
      .importFile(positionals[0], { format: values.format as ImportFormat | undefined, actor: SYSTEM_ACTOR, onProgress })
      .finally(() => started && bar.stop());
    const { seen, created, updated, unchanged, failed } = job.rows;
    console.log(`Import ${job.id} ${job.status}: ${seen} rows — ${created} created, ${updated} updated, ${unchanged} unchanged, ${failed} left out.`);
    if (job.failure) console.log(job.failure);
    if (firstErrors.length > 0) {
      console.log(`\nFirst rows left out (all of them: GET ${job.errorsUrl}):`);
      for (const e of firstErrors) console.log(`  line ${String(e.line).padEnd(8)} ${e.field.padEnd(16)} ${e.problem}`);
    }
    return job.status === 'failed' ? 1 : 0;
  },

  async campaign(app, args) {
    const [action, id] = args;
    if ((action !== 'run' && action !== 'watch') || !id) throw new UsageError('campaign needs run <id> or watch <id>');
    const campaigns = app.get(CampaignsService);
    let campaign = await campaigns.get(id);
    let stopDelivery: (() => Promise<void>) | null = null;
    if (action === 'run') {
      if (campaign.status === 'draft') campaign = await campaigns.start(id, SYSTEM_ACTOR);
      const worker = app.get(DeliveryWorker);
      const scheduler = app.get(CampaignScheduler);
      worker.start();
      const tick = setInterval(() => void scheduler.tick(new Date()), 30_000);
      stopDelivery = async () => {
        clearInterval(tick);
        await worker.stop();
      };
    }
    const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    try {
      await watchProgress(campaigns, id, interrupted);
    } finally {
      await stopDelivery?.();
    }
    campaign = await campaigns.get(id);
    console.log(`Campaign ${id} is ${campaign.status}: ${describeProgress(campaign)}`);
  },
};


/** A live bar until the campaign finishes (broadcasts) or Ctrl-C. */
async function watchProgress(campaigns: CampaignsService, id: string, interrupted: Promise<void>): Promise<void> {
  const bar = new SingleBar(
    { format: '{name} [{bar}] {value}/{total} | sent {sent} | deferred {deferred} | skipped {skipped} | failed {failed} | {rate}/s | ETA {eta_formatted}', hideCursor: true },
    Presets.shades_classic,
  );
  let stop = false;
  void interrupted.then(() => (stop = true));
  const started = Date.now();
  let campaign = await campaigns.get(id);
  const done = (c: CampaignView) => c.progress.sent + c.progress.failed + c.progress.skipped + c.progress.dead;
  const startDone = done(campaign);
  bar.start(campaign.progress.total, done(campaign), payloadOf(campaign, 0));
  while (!stop) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    campaign = await campaigns.get(id);
    const rate = ((done(campaign) - startDone) / Math.max(1, (Date.now() - started) / 1000)).toFixed(0);
    bar.setTotal(campaign.progress.total);
    bar.update(done(campaign), payloadOf(campaign, rate));
    if (['completed', 'cancelled'].includes(campaign.status)) break;
  }
  bar.stop();
}

function payloadOf(c: CampaignView, rate: number | string) {
  return { name: c.name.slice(0, 24), sent: c.progress.sent, deferred: c.progress.deferred, skipped: c.progress.skipped, failed: c.progress.failed + c.progress.dead, rate };
}

function describeProgress(c: CampaignView): string {
  const p = c.progress;
  return `${p.total} in the outbox — ${p.sent} sent, ${p.deferred} deferred, ${p.skipped} skipped, ${p.failed} failed, ${p.dead} dead-lettered, ${p.pending} pending`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

class UsageError extends Error {}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error(USAGE);
    return 2;
  }
  setProcessRole('cli');
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  try {
    return (await command(app, args)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ApiError) {
      console.error([error.message, ...error.details.map((d) => `  ${d.field}: ${d.problem}`)].join('\n'));
      return 1;
    }
    if (error instanceof ImportFileError) {
      console.error([error.message, ...error.details.map((d) => `  ${d.field}: ${d.problem}`)].join('\n'));
      return 1;
    }
    throw error;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
