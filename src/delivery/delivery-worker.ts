import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Clock } from '../campaigns/calendar/clock';
import type { CampaignDefinition } from '../campaigns/campaign.types';
import { CampaignsRepository } from '../campaigns/campaigns.repository';
import { AppConfig } from '../config/app-config';
import { Dispatcher, DispatchResult } from './dispatcher.service';
import { OutboxRepository } from './outbox.repository';
import { RateLimiter } from './rate-limiter';

/** How often an idle worker looks for due messages, and how often it takes over dead workers' rows. */
const IDLE_POLL_MS = 500;
const RECOVERY_EVERY_MS = 5_000;
/**
 * Claim-and-dispatch loops per process. With two, one batch is being prepared and judged while the
 * other's messages are with the provider, so the connections to the provider never wait for the
 * database; SKIP LOCKED keeps their batches apart.
 */
const LOOPS = 2;

/**
 * The delivery loop of one process: take over rows whose worker died, claim a batch of due rows
 * of running campaigns, dispatch them, repeat. Pausing a campaign takes effect at the next claim
 * (a batch is about a second of sending); shutdown finishes the batch in hand and claims no more.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly limiters;
  private running = false;
  private loops: Promise<void> | null = null;
  private readonly wakers = new Set<() => void>();
  private lastRecovery = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly outbox: OutboxRepository,
    private readonly campaigns: CampaignsRepository,
    private readonly dispatcher: Dispatcher,
  ) {
    this.limiters = {
      email: config.RATE_LIMIT_EMAIL > 0 ? new RateLimiter(config.RATE_LIMIT_EMAIL) : undefined,
      sms: config.RATE_LIMIT_SMS > 0 ? new RateLimiter(config.RATE_LIMIT_SMS) : undefined,
    };
  }

  onApplicationBootstrap(): void {
    if (this.config.RUN_WORKERS === 'true') this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.logger.log(`delivery worker ${this.owner} started (concurrency ${this.config.WORKER_CONCURRENCY}, batch ${this.config.WORKER_BATCH_SIZE})`);
    this.loops = Promise.all(Array.from({ length: LOOPS }, () => this.run())).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const wake of this.wakers) wake();
    await this.loops;
    this.loops = null;
  }

  /**
   * One claim-and-dispatch round; exposed so tests and the CLI can drive delivery step by step.
   * `only` restricts it to some campaigns (a test delivering its own campaign on a shared database).
   */
  async runOnce(only?: { campaignIds: string[] }): Promise<{ claimed: number; results: Record<DispatchResult, number> }> {
    const now = this.clock.now();
    if (Date.now() - this.lastRecovery >= RECOVERY_EVERY_MS) {
      this.lastRecovery = Date.now();
      const recovered = await this.outbox.recoverExpiredLeases(now);
      if (recovered.requeued > 0) this.logger.warn(`took over ${recovered.requeued} outbox rows of stopped workers (${recovered.ambiguous} were with a provider)`);
    }
    const running = (await this.campaigns.running()).filter((c) => !only || only.campaignIds.includes(c.id));
    const byId = new Map<string, CampaignDefinition>(running.map((c) => [c.id, c]));
    const leaseSeconds = this.config.WORKER_LEASE_SECONDS;
    const rows = await this.outbox.claim(this.owner, [...byId.keys()], now, leaseSeconds, this.config.WORKER_BATCH_SIZE);
    // A slow provider can keep a batch longer than one lease; while this process lives, its rows stay its own.
    const heartbeat = setInterval(() => {
      this.outbox.extendLeases(this.owner, rows.map((r) => r.id), leaseSeconds).catch((error: unknown) => {
        this.logger.warn(`could not extend the lease of ${rows.length} outbox rows: ${error instanceof Error ? error.message : String(error)}`);
      });
    }, (leaseSeconds * 1000) / 3);
    let results: Record<DispatchResult, number>;
    try {
      results = await this.dispatcher.dispatch(rows, byId, { owner: this.owner, now, concurrency: this.config.WORKER_CONCURRENCY, limiters: this.limiters });
    } finally {
      clearInterval(heartbeat);
    }
    if (rows.length < this.config.WORKER_BATCH_SIZE) {
      for (const campaign of running) if (campaign.kind === 'broadcast') await this.campaigns.completeIfDrained(campaign.id);
    }
    return { claimed: rows.length, results };
  }

  /**
   * Delivers the due rows of these campaigns with the loops a running worker uses, until neither
   * finds anything to claim: a broadcast delivered exactly as the worker program would, for the CLI,
   * the demo and the benchmarks. Returns the batches claimed and what became of their rows.
   */
  async drain(only: { campaignIds: string[] }): Promise<{ claims: number; results: Record<DispatchResult, number> }> {
    const total: Record<DispatchResult, number> = { sent: 0, failed: 0, dead: 0, retry: 0, skipped: 0, deferred: 0, lost_lease: 0 };
    let claims = 0;
    const loop = async () => {
      for (;;) {
        const round = await this.runOnce(only);
        if (round.claimed === 0) return;
        claims++;
        for (const [result, n] of Object.entries(round.results) as Array<[DispatchResult, number]>) total[result] += n;
      }
    };
    await Promise.all(Array.from({ length: LOOPS }, loop));
    return { claims, results: total };
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = (await this.runOnce()).claimed;
      } catch (error) {
        // The database may be restarting; the rows are safe in the outbox, so wait and go on.
        this.logger.error(`delivery round failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (claimed === 0 && this.running) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.wakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, IDLE_POLL_MS);
          this.wakers.add(wake);
        });
      }
    }
  }
}
