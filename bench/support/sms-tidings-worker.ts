/**
 * The Tidings side of the SMS benchmark, in a process of its own so its memory and CPU profile are
 * its alone. Runs the service from a copy of the build (BENCH_DIST) with the environment the phase gives it
 * (database, Twilio settings pointing at the counting sink, worker sizes).
 *
 *   prepare <contacts> <rounds> <outDir>  migrate, seed contacts with a phone and SMS consent, write
 *                                         the bodies each round's campaign will render (for the raw
 *                                         side) to <outDir>/sms-round-<n>.jsonl, and exit
 *   worker                                answer IPC {cmd:'round', round}: create and start that
 *                                         round's broadcast campaign and drive the real delivery
 *                                         worker (DeliveryWorker.drain: the worker program's loops)
 *                                         until its outbox is drained; exits (normally, so
 *                                         --cpu-prof writes its profile) when the parent disconnects;
 *                                         with --floor also {cmd:'client-only'} (the twilio client
 *                                         alone) and {cmd:'writes-only'} (the pipeline's writes alone)
 *
 * Plain node runs this file (see sms-child.ts), so it only imports types from the sources.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';

// The phase's copy of the build (see snapshotBuild in sms-child.ts).
const DIST = process.env.BENCH_DIST!;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dist = <T>(path: string): T => require(join(DIST, path)) as T;

export const TEMPLATE_KEY = 'bench-notice';
export const campaignName = (round: number) => `Winter check ${round}`;

async function boot(): Promise<INestApplicationContext> {
  const { loadConfig } = dist<typeof import('../../src/config/app-config')>('src/config/app-config');
  loadConfig();
  const { AppModule } = dist<typeof import('../../src/app.module')>('src/app.module');
  return NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
}

async function prepare(contacts: number, rounds: number, outDir: string): Promise<void> {
  const app = await boot();
  const db = app.get(DataSource);
  // Fictional NANP numbers (+1 555 …), E.164, one per contact; every contact agreed to texts.
  await db.query(
    `INSERT INTO contacts (given_name, family_name, form_of_address, phone, locale, time_zone, tags)
     SELECT 'Guest', 'No. ' || g, 'Guest ' || g, '+1555' || lpad(g::text, 7, '0'), 'en', 'Etc/UTC', ARRAY['bench']
       FROM generate_series(1, $1::int) g`,
    [contacts],
  );
  await db.query(`INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_by) SELECT id, 'sms', 'granted', 'import', 'bench' FROM contacts`);
  await db.query('ANALYZE');

  // What each round's campaign will render, so the raw side posts exactly the same texts.
  const { RenderContextService } = dist<typeof import('../../src/memory/render-context/render-context.service')>('src/memory/render-context/render-context.service');
  const { TemplatesService } = dist<typeof import('../../src/templates/templates.service')>('src/templates/templates.service');
  const contexts = app.get(RenderContextService);
  const templates = app.get(TemplatesService);
  const ids: Array<{ id: string; phone: string }> = await db.query(`SELECT id, phone FROM contacts ORDER BY id`);
  const files = Array.from({ length: rounds }, (_, i) => createWriteStream(join(outDir, `sms-round-${i + 1}.jsonl`)));
  for (let i = 0; i < ids.length; i += 2000) {
    const batch = ids.slice(i, i + 2000);
    const built = await contexts.buildMany(batch.map((c) => c.id));
    for (const contact of batch) {
      for (let round = 1; round <= rounds; round++) {
        const content = await templates.render({ key: TEMPLATE_KEY, channel: 'sms', locale: 'en', context: built.get(contact.id)!, extra: { campaign: { name: campaignName(round) } } });
        files[round - 1].write(JSON.stringify({ to: contact.phone, body: content.text }) + '\n');
      }
    }
  }
  await Promise.all(files.map((f) => new Promise((resolve) => f.end(resolve))));
  await app.close();
}

async function worker(): Promise<void> {
  const app = await boot();
  const { CampaignsService } = dist<typeof import('../../src/campaigns/campaigns.service')>('src/campaigns/campaigns.service');
  const { DeliveryWorker } = dist<typeof import('../../src/delivery/delivery-worker')>('src/delivery/delivery-worker');
  const { SYSTEM_ACTOR } = dist<typeof import('../../src/auth/actor')>('src/auth/actor');
  const campaigns = app.get(CampaignsService);
  const delivery = app.get(DeliveryWorker);
  const startRound = async (name: string) => {
    const campaign = await campaigns.create(
      {
        name,
        kind: 'broadcast',
        templateKey: TEMPLATE_KEY,
        channels: ['sms'],
        careExempt: true,
        // No quiet hours: the run must not depend on the hour it happens to start.
        guardPolicy: { quietHours: '00:00-00:00' },
      },
      SYSTEM_ACTOR,
    );
    await campaigns.start(campaign.id, SYSTEM_ACTOR);
    return campaign.id;
  };
  const commands: Record<string, (message: FloorCommand) => Promise<unknown>> = {
    round: async (message) => {
      const started = performance.now();
      const campaignId = await startRound(campaignName(message.round!));
      // The worker program's own loops (two claim-and-dispatch loops side by side), not one loop
      // of runOnce: that would leave Twilio idle while each batch is prepared and judged.
      const { claims } = await delivery.drain({ campaignIds: [campaignId] });
      const { progress } = await campaigns.get(campaignId);
      return { progress, claims, ms: performance.now() - started };
    },
    'client-only': (message) => clientOnly(app, message),
    'writes-only': async (message) => {
      const campaignId = await startRound(`Floor ${message.round}`);
      return writesOnly(app, campaignId, message.concurrency!, message.batch!);
    },
  };
  process.on('message', (message: FloorCommand) => {
    const command = commands[message.cmd];
    if (!command) return;
    command(message).then(
      (answer) => process.send!(answer),
      (error: unknown) => process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.send!({ ready: true });
}

interface FloorCommand {
  cmd: string;
  round?: number;
  file?: string;
  concurrency?: number;
  batch?: number;
}

/**
 * `--floor`, the real twilio client alone: the round's texts through the very SMS channel the
 * worker uses (twilio client, our keep-alive transport), `concurrency` in flight, no database, no
 * render, no guard. What the client allows on this machine; the phase times it at the sink.
 */
async function clientOnly(app: INestApplicationContext, command: FloorCommand): Promise<{ sent: number; failed: number }> {
  const { SMS_CHANNEL } = dist<typeof import('../../src/channels/channel.types')>('src/channels/channel.types');
  const channel = app.get<import('../../src/channels/channel.types').MessageChannel<import('../../src/channels/channel.types').SmsMessage>>(SMS_CHANNEL);
  const messages = readFileSync(command.file!, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { to: string; body: string });
  let next = 0;
  let sent = 0;
  let failed = 0;
  const lane = async () => {
    while (next < messages.length) {
      const { to, body } = messages[next++];
      const outcome = await channel.send({ messageId: randomUUID(), to, body });
      if (outcome.status === 'sent') sent++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: command.concurrency! }, lane));
  return { sent, failed };
}

/**
 * `--floor`, the writes alone: the statements the pipeline makes for each message of a broadcast
 * whose recipients need no guard, no render and no provider — the claim, the move to 'sending'
 * with the messages row written before the hand-over (one transaction per batch), and the
 * provider's answer recorded by the same group commit, `concurrency` answers in flight per loop,
 * in the worker's two loops. The repositories are the pipeline's own; the answer is made up.
 */
async function writesOnly(app: INestApplicationContext, campaignId: string, concurrency: number, batch: number): Promise<{ ms: number; sent: number }> {
  const { OutboxRepository } = dist<typeof import('../../src/delivery/outbox.repository')>('src/delivery/outbox.repository');
  const { MessagesService } = dist<typeof import('../../src/channels/messages/messages.service')>('src/channels/messages/messages.service');
  const { CampaignsRepository } = dist<typeof import('../../src/campaigns/campaigns.repository')>('src/campaigns/campaigns.repository');
  const outbox = app.get(OutboxRepository);
  const messages = app.get(MessagesService);
  const db = app.get(DataSource);
  const owner = `floor-${process.pid}`;
  let sent = 0;
  const started = performance.now();
  const loop = async () => {
    for (;;) {
      const now = new Date();
      const rows = await outbox.claim(owner, [campaignId], now, 60, batch);
      if (rows.length === 0) return;
      const ids = rows.map(() => randomUUID());
      await db.transaction(async (tx) => {
        await outbox.markSending(tx, owner, rows.map((r, i) => ({ id: r.id, channel: 'sms' as const, variant: 'default', guardMessageId: null as unknown as string, messageId: ids[i] })));
        await messages.beginMany(
          rows.map((r, i) => ({
            id: ids[i], channel: 'sms' as const, provider: 'twilio', recipient: '+15550000000', contactId: r.contactId, campaignId,
            occasionKey: r.occasionKey, purpose: 'campaign' as const, templateKey: TEMPLATE_KEY, templateVersion: null, variant: 'default', locale: 'en',
          })),
          tx,
        );
      });
      let next = 0;
      const lane = async () => {
        while (next < rows.length) {
          const i = next++;
          const finished = await outbox.completeSent({
            outboxId: rows[i].id,
            owner,
            messageId: ids[i],
            outcome: {
              status: 'sent',
              providerMessageId: 'SM' + randomUUID().replace(/-/g, ''),
              details: { encoding: 'GSM-7', segments: 1, characters: 120, twilioStatus: 'queued', twilioSegments: 1 },
            },
            guardMessageId: null,
            at: now,
          });
          if (finished) sent++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
    }
  };
  await Promise.all([loop(), loop()]);
  const ms = performance.now() - started;
  await app.get(CampaignsRepository).completeIfDrained(campaignId);
  return { ms, sent };
}

const [mode, ...args] = process.argv.slice(2);
(mode === 'prepare' ? prepare(Number(args[0]), Number(args[1]), args[2]).then(() => process.send!({ done: true })) : worker()).catch((error: unknown) => {
  process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
});
process.on('disconnect', () => process.exit(0));
