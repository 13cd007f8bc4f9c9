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
 *                                         worker until its outbox is drained; exits (normally, so
 *                                         --cpu-prof writes its profile) when the parent disconnects
 *
 * Plain node runs this file (see sms-child.ts), so it only imports types from the sources.
 */
import 'reflect-metadata';
import { createWriteStream } from 'node:fs';
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
  process.on('message', (message: { cmd: string; round?: number }) => {
    if (message.cmd !== 'round') return;
    void (async () => {
      const started = performance.now();
      const campaign = await campaigns.create(
        {
          name: campaignName(message.round!),
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
      let claims = 0;
      while ((await delivery.runOnce({ campaignIds: [campaign.id] })).claimed > 0) claims++;
      const { progress } = await campaigns.get(campaign.id);
      process.send!({ progress, claims, ms: performance.now() - started });
    })().catch((error: unknown) => process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
  });
  process.send!({ ready: true });
}

const [mode, ...args] = process.argv.slice(2);
(mode === 'prepare' ? prepare(Number(args[0]), Number(args[1]), args[2]).then(() => process.send!({ done: true })) : worker()).catch((error: unknown) => {
  process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
});
process.on('disconnect', () => process.exit(0));
