import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import { insertEmailAudience } from '../support/audience.factory';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, TEST_SECRET_KEY, TestApp } from '../support/test-app';
import { isolatedDatabase } from '../support/test-database';
import { WorkerProcess } from '../support/worker-process';

/**
 * Nothing lost, nothing sent twice, against a real SMTP server: worker processes are killed with
 * SIGKILL mid-send, run side by side, and a campaign is paused and resumed, each over 20,000
 * recipients. The figure that matters is printed: duplicates at the sink (the goal is zero; a
 * crash may at most repeat the messages that were in the relay's hands at that instant).
 */
/** 20,000 as the issue asks; CRASH_TEST_RECIPIENTS makes a quicker local run. */
const RECIPIENTS = Number(process.env.CRASH_TEST_RECIPIENTS ?? 20_000);
const FINAL_STATES = ['sent', 'failed', 'skipped', 'dead'];
const SMTP_POOL_SIZE = 5;

describe('crash-safe delivery', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let outbox: string;
  // A database of its own: worker processes deliver every running campaign they find.
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  const workers: WorkerProcess[] = [];
  let progressOf = () => '';

  beforeAll(async () => {
    sink = await SmtpSink.start();
    outbox = mkdtempSync(join(tmpdir(), 'tidings-crash-'));
    database = await isolatedDatabase('crash');
    t = await createTestApp({ DATABASE_URL: database.url, SMTP_URL: sink.url, OUTBOX_DIR: outbox, WORKER_LEASE_SECONDS: '10' });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await t.close();
    await sink.close();
    await database.drop();
    for (const name of ['SMTP_URL', 'OUTBOX_DIR', 'WORKER_LEASE_SECONDS']) delete process.env[name];
  });

  function workerProcess(): WorkerProcess {
    const worker = new WorkerProcess({
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.CRASH_TEST_LOG_LEVEL ?? 'warn',
      DATABASE_URL: database.url,
      SECRET_KEY: TEST_SECRET_KEY,
      SMTP_URL: sink.url,
      OUTBOX_DIR: outbox,
      DB_POOL_SIZE: '6',
      SMTP_POOL_SIZE: String(SMTP_POOL_SIZE),
      WORKER_LEASE_SECONDS: '10',
    }).start();
    workers.push(worker);
    return worker;
  }

  /** A started broadcast of the `welcome` e-mail to a fresh tagged audience of 20,000. */
  async function campaignTo(count: number): Promise<{ campaignId: string; tag: string }> {
    const tag = `crowd-${randomBytes(4).toString('hex')}`;
    await insertEmailAudience(t, count, tag);
    const startedAt = Date.now();
    progressOf = () => `${delivered(tag).total} messages after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`;
    const { body } = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: `welcome ${tag}`, kind: 'broadcast', audience: { field: 'tags', op: 'has', value: tag }, templateKey: 'welcome', channels: ['email'] })
      .expect(201);
    const started = await t.http.post(`/campaigns/${body.id}/start`).set(t.auth('marketer')).expect(200);
    expect(started.body.progress.total).toBe(count);
    return { campaignId: body.id, tag };
  }

  /** Polls the database (not a timer) until `done` holds; fails with what it last saw. */
  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 900_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}; last saw ${JSON.stringify(value)} (${progressOf()}); worker log:\n${workers.at(-1)?.log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function states(campaignId: string): Promise<Record<string, number>> {
    const rows: Array<{ state: string; n: number }> = await t.db.query(
      `SELECT state, count(*)::int AS n FROM outbox_messages WHERE campaign_id = $1 GROUP BY state`,
      [campaignId],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  const finished = (s: Record<string, number>) => FINAL_STATES.reduce((sum, state) => sum + (s[state] ?? 0), 0) === RECIPIENTS;

  /** Messages at the sink for this audience: how many arrived, for how many recipients, under how many Message-IDs. */
  function delivered(tag: string): { total: number; recipients: number; messageIds: number } {
    const mine = sink.messages.filter((m) => m.to[0]?.startsWith(`${tag}-`));
    const ids = new Set(mine.map((m) => /^Message-ID:\s*(\S+)/im.exec(m.raw.toString('latin1'))?.[1]));
    return { total: mine.length, recipients: new Set(mine.map((m) => m.to[0])).size, messageIds: ids.size };
  }

  it('survives three SIGKILLs: every recipient in one final state, every message at the sink', async () => {
    const { campaignId, tag } = await campaignTo(RECIPIENTS);
    let worker = workerProcess();
    const killPoints = [randomInt(5, 25), randomInt(35, 55), randomInt(65, 85)].map((percent) => Math.floor((RECIPIENTS * percent) / 100));
    for (const point of killPoints) {
      await until(async () => delivered(tag).total, (n) => n >= point, `${point} messages before a kill`);
      await worker.kill();
      worker = workerProcess();
    }
    const final = await until(() => states(campaignId), finished, 'every recipient in a final state');
    await worker.stop();

    const sink = delivered(tag);
    const duplicates = sink.total - sink.recipients;
    const visible = sink.messageIds - sink.recipients;
    console.log(
      `crash test: killed at ${killPoints.join(', ')} messages; ${sink.total} messages for ${sink.recipients} recipients; ` +
        `duplicates: ${duplicates} delivered, ${visible} with a new Message-ID`,
    );
    expect(final).toEqual({ sent: RECIPIENTS });
    expect(sink.recipients).toBe(RECIPIENTS);
    // A repeat can only be a message that was in the relay's hands when the worker died: at most
    // the pool's connections per kill. It keeps its Message-ID, so mail clients show it once.
    expect(duplicates).toBeLessThanOrEqual(killPoints.length * SMTP_POOL_SIZE);
    expect(visible).toBe(0);
  }, 1_200_000);

  it('lets two worker processes drain one campaign with no recipient sent twice', async () => {
    const { campaignId, tag } = await campaignTo(RECIPIENTS);
    const pair = [workerProcess(), workerProcess()];
    const final = await until(() => states(campaignId), finished, 'every recipient in a final state');
    await Promise.all(pair.map((w) => w.stop()));
    const sink = delivered(tag);
    console.log(`two workers: ${sink.total} messages for ${sink.recipients} recipients`);
    expect(final).toEqual({ sent: RECIPIENTS });
    expect(sink).toEqual({ total: RECIPIENTS, recipients: RECIPIENTS, messageIds: RECIPIENTS });
    // Both took part: each row records the worker that sent it.
    const owners: Array<{ n: number }> = await t.db.query(
      `SELECT count(DISTINCT details->>'worker')::int AS n FROM outbox_messages WHERE campaign_id = $1`,
      [campaignId],
    );
    expect(owners[0].n).toBe(2);
  }, 1_200_000);

  it('pauses within one batch and resumes exactly where it stopped', async () => {
    const { campaignId, tag } = await campaignTo(RECIPIENTS);
    const worker = t.app.get(DeliveryWorker);
    worker.start();
    await until(async () => delivered(tag).total, (n) => n >= RECIPIENTS / 4, 'a quarter of the messages before the pause');
    await t.http.post(`/campaigns/${campaignId}/pause`).set(t.auth('marketer')).expect(200);
    // What was claimed before the pause finishes; nothing new is claimed after it.
    await until(() => states(campaignId), (s) => !s.processing && !s.sending, 'the batch in hand to finish');
    await worker.stop();
    const atPause = delivered(tag).total;
    expect(atPause).toBeLessThan(RECIPIENTS);
    expect((await worker.runOnce()).claimed).toBe(0);
    expect(delivered(tag).total).toBe(atPause);

    await t.http.post(`/campaigns/${campaignId}/resume`).set(t.auth('marketer')).expect(200);
    worker.start();
    const final = await until(() => states(campaignId), finished, 'every recipient in a final state');
    await worker.stop();
    const sink = delivered(tag);
    console.log(`pause/resume: paused after ${atPause} messages; ${sink.total} messages for ${sink.recipients} recipients`);
    expect(final).toEqual({ sent: RECIPIENTS });
    expect(sink).toEqual({ total: RECIPIENTS, recipients: RECIPIENTS, messageIds: RECIPIENTS });
    const { body } = await t.http.get(`/campaigns/${campaignId}`).set(t.auth('viewer')).expect(200);
    expect(body.status).toBe('completed');
  }, 1_200_000);
});
