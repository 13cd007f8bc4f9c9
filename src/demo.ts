import 'reflect-metadata';
import { parseArgs } from 'node:util';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { ManualClock, setProcessClock } from './campaigns/calendar/clock';
import { lunarDateOf } from './campaigns/calendar/lunar-dates';
import { AppConfig, ConfigError, loadConfig, setProcessRole } from './config/app-config';

/**
 * `npm run demo [-- --date YYYY-MM-DD]`: seeds a few hundred customers through the API, runs the
 * BMW birthday campaign and a rice-jar replenishment reminder through the given day (default
 * today) with the clock moved hour by hour, and prints who got what, where, and who did not and why.
 * It uses whatever database the configuration names: the embedded default unless DATABASE_URL is set.
 */
const ZONES: Array<{ zone: string; locale: string; country: string; city: string; street: string; postcode: string }> = [
  { zone: 'Asia/Shanghai', locale: 'zh-CN', country: 'CN', city: '上海市', street: '南京东路', postcode: '200001' },
  { zone: 'Europe/Berlin', locale: 'en', country: 'DE', city: 'Berlin', street: 'Unter den Linden', postcode: '10117' },
  { zone: 'America/Los_Angeles', locale: 'en', country: 'US', city: 'Los Angeles', street: 'Sunset Blvd', postcode: '90028' },
  { zone: 'Asia/Tokyo', locale: 'en', country: 'JP', city: 'Tokyo', street: 'Chuo-dori', postcode: '104-0061' },
  { zone: 'Europe/London', locale: 'en', country: 'GB', city: 'London', street: 'Baker Street', postcode: 'NW1 6XE' },
];
const GIVEN = ['Wei', 'Fang', 'Anna', 'Lukas', 'Maria', 'James', 'Yuki', 'Oliver', 'Mei', 'Sofia'];
const FAMILY = ['Li', 'Wang', 'Zhang', 'Müller', 'Schmidt', 'Garcia', 'Smith', 'Tanaka', 'Brown', 'Chen'];
const CUSTOMERS = 300;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { date: { type: 'string' } } });
  const today = new Date().toISOString().slice(0, 10);
  const day = values.date ?? today;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) throw new UsageError(`--date must be YYYY-MM-DD, not ${day}`);
  // Purchase histories are dated before the day, and the archive refuses events from the future.
  if (day > today) throw new UsageError(`--date must not be after today (${today}): the demo's purchase histories lead up to it`);

  setProcessRole('demo');
  loadConfig();
  const clock = new ManualClock(`${day}T00:00:00Z`);
  clock.set(new Date(Date.parse(`${day}T00:00:00Z`) - 14 * 3_600_000)); // midnight where the day starts first (UTC+14)
  setProcessClock(clock);

  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('./app.module');
  const { configureApp } = await import('./app.setup');
  const { ApiKeysService } = await import('./auth/api-keys.service');
  const { SYSTEM_ACTOR } = await import('./auth/actor');
  const { CampaignScheduler } = await import('./campaigns/campaign-scheduler.service');
  const { DeliveryWorker } = await import('./delivery/delivery-worker');

  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, logger: ['error', 'warn'] });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  try {
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const { key } = await app.get(ApiKeysService).create('demo', 'admin', SYSTEM_ACTOR);
    const api: Api = async (method, path, body) => {
      const res = await fetch(base + path, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = res.status === 204 ? null : await res.json();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json as { id: string } & Record<string, unknown>;
    };

    const tag = `demo-${Date.now().toString(36)}`;
    console.log(`Seeding ${CUSTOMERS} customers (tag ${tag}) for ${day}…`);
    await seed(api, tag, day);

    const audience = { field: 'tags', op: 'has', value: tag };
    const bmw = await api('POST', '/campaigns', {
      name: `BMW birthday card (${tag})`, kind: 'trigger', audience, templateKey: 'birthday', channels: ['email', 'sms', 'mail'],
      trigger: { type: 'birthday', localTime: '09:00' }, print: { format: 'a6', kind: 'birthday-card' }, careExempt: true,
    });
    const rice = await api('POST', '/campaigns', {
      name: `Rice jar reminder (${tag})`, kind: 'trigger', audience, templateKey: 'replenish', channels: ['sms', 'email'],
      trigger: { type: 'replenishment', daysBefore: 3, localTime: '10:00' }, careExempt: true,
    });
    await api('POST', `/campaigns/${bmw.id}/start`);
    await api('POST', `/campaigns/${rice.id}/start`);

    // Through the day hour by hour, as the scheduler and a worker would see it.
    const scheduler = app.get(CampaignScheduler);
    const worker = app.get(DeliveryWorker);
    const end = Date.parse(`${day}T00:00:00Z`) + 36 * 3_600_000; // midnight where the day ends last (UTC-12)
    while (clock.now().getTime() < end) {
      clock.advance({ hours: 1 });
      for (const id of [bmw.id, rice.id]) await scheduler.evaluateTrigger(id, clock.now());
      while ((await worker.runOnce({ campaignIds: [bmw.id, rice.id] })).claimed > 0);
    }

    await report(app.get(DataSource), [bmw, rice], app.get(AppConfig).OUTBOX_DIR);
    return 0;
  } finally {
    await app.close();
  }
}

type Api = (method: string, path: string, body?: unknown) => Promise<{ id: string } & Record<string, unknown>>;

/** Customers across five zones; every sixth has a birthday on the day, some by the lunar calendar. */
async function seed(api: Api, tag: string, day: string): Promise<void> {
  const lunar = lunarDateOf(day);
  for (let i = 0; i < CUSTOMERS; i++) {
    const place = ZONES[i % ZONES.length];
    const birthdayToday = i % 6 === 0;
    const lunarToday = i % 30 === 5 && place.locale === 'zh-CN';
    const year = 1950 + (i % 50);
    const otherDay = new Date(Date.UTC(year, (i * 7) % 12, 1 + (i % 27))).toISOString().slice(0, 10);
    // Every 24th customer has said no to everything; every tenth only to e-mail (a card still reaches them).
    const optedOut = i % 24 === 6;
    const consent: Record<string, unknown> = { email: { granted: i % 10 !== 3 && !optedOut, text: 'Care messages by e-mail', source: 'dealer' } };
    if (i % 5 === 1) consent.sms = { granted: true, text: 'Care messages by SMS', source: 'dealer' };
    if (optedOut) consent.sms = { granted: false, source: 'texted STOP' };
    if (i % 17 === 4 || optedOut) consent.mail = { granted: false, source: 'asked at the desk' };
    const given = GIVEN[(i * 7 + Math.floor(i / 10)) % GIVEN.length];
    const family = FAMILY[(i * 3 + Math.floor(i / 7)) % FAMILY.length];
    const contact = await api('POST', '/contacts', {
      externalId: `${tag}-${i}`,
      givenName: given,
      familyName: family,
      formOfAddress: place.locale === 'zh-CN' ? `${family}${i % 2 ? '先生' : '女士'}` : `${i % 2 ? 'Mr' : 'Ms'} ${family}`,
      email: `${tag}-${i}@example.com`,
      phone: phoneFor(place.country, i),
      address: { street: place.street, houseNumber: String(1 + (i % 200)), postcode: place.postcode, city: place.city, country: place.country },
      locale: place.locale,
      timeZone: place.zone,
      birthday: birthdayToday ? `${year}${day.slice(4)}` : otherDay,
      ...(lunarToday ? { lunarBirthdayMonth: lunar.month, lunarBirthdayDay: lunar.day, lunarBirthdayLeap: lunar.leap } : {}),
      tags: [tag],
      consent,
    });
    const preferences: Array<Record<string, unknown>> = [];
    if (i % 5 === 1) preferences.push({ key: 'preferred_channel', value: 'sms', source: 'web_form' });
    if (i % 7 === 2) preferences.push({ key: 'preferred_channel', value: 'mail', source: 'customer_told_staff' });
    if (lunarToday) preferences.push({ key: 'birthday_calendar', value: 'lunar', source: 'web_form' });
    if (i % 4 === 0) preferences.push({ key: 'drink', value: i % 8 === 0 ? 'tea' : 'coffee', source: 'web_form' });
    if (preferences.length) await api('POST', `/contacts/${contact.id}/preferences`, { preferences });
    // The rice jar: a 10 kg sack every 30 days, the last 27 days ago, so it runs out in about 3 days.
    if (i % 9 === 2) {
      for (const daysAgo of [87, 57, 27]) {
        await api('POST', `/contacts/${contact.id}/interactions`, {
          eventId: `${tag}-${i}-rice-${daysAgo}`,
          kind: 'purchase',
          occurredAt: new Date(Date.parse(`${day}T04:00:00Z`) - daysAgo * 86_400_000).toISOString(),
          currency: place.country === 'CN' ? 'CNY' : 'EUR',
          items: [{ productKey: 'rice-10kg', name: 'Rice 10 kg', quantity: 1, unit: 'bag', unitPrice: 80 }],
        });
      }
    }
  }
}

function phoneFor(country: string, i: number): string {
  const n = String(1_000_000 + i).slice(-6);
  switch (country) {
    case 'CN': return `+86138${n}00`;
    case 'DE': return `+4915112${n}`;
    case 'US': return `+12132${n}`;
    case 'JP': return `+81901${n}5`;
    default: return `+447911${n}`;
  }
}

async function report(db: DataSource, campaigns: Array<{ id: string } & Record<string, unknown>>, outbox: string): Promise<void> {
  for (const campaign of campaigns) {
    const rows: Array<{ name: string; zone: string; channel: string | null; state: string; reason: string | null; local: string | null; key: string }> = await db.query(
      `SELECT concat_ws(' ', c.given_name, c.family_name) AS name, c.time_zone AS zone, o.channel, o.state, o.reason, o.occasion_key AS key,
              to_char(o.due_at AT TIME ZONE c.time_zone, 'YYYY-MM-DD HH24:MI') AS local
         FROM outbox_messages o JOIN contacts c ON c.id = o.contact_id WHERE o.campaign_id = $1 ORDER BY o.state, o.channel, o.due_at`,
      [campaign.id],
    );
    console.log(`\n${String(campaign.name)}: ${rows.length} occasions`);
    const groups = new Map<string, typeof rows>();
    for (const row of rows) {
      const what = row.state === 'sent' ? `sent by ${row.channel}` : `${row.state}: ${row.reason}`;
      groups.set(what, [...(groups.get(what) ?? []), row]);
    }
    for (const [what, members] of groups) {
      console.log(`  ${String(members.length).padStart(4)}  ${what}, e.g.`);
      for (const row of members.slice(0, 3)) console.log(`          ${row.name.padEnd(16)} ${row.zone.padEnd(20)} ${row.key.padEnd(32)} due ${row.local} local`);
    }
    console.log(`  Everyone, with reasons: GET /campaigns/${campaign.id}/recipients`);
  }
  console.log(`\nWhat went out is under ${outbox}: email/*.eml, sms.jsonl and mail/<batch>/letters.pdf (unless SMTP_URL or Twilio are set).`);
}

class UsageError extends Error {}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof UsageError ? error.message : error);
    process.exit(1);
  },
);
