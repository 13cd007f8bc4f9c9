import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Clock } from './calendar/clock';
import { CampaignScheduler } from './campaign-scheduler.service';

const TICK_MS = 30_000;

/**
 * Runs the scheduler every 30 seconds in each worker process. Several processes may tick at once:
 * each campaign is evaluated under a row lock and the outbox key makes a repeat write nothing.
 */
@Injectable()
export class CampaignSchedulerJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CampaignSchedulerJob.name);
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<unknown> | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly scheduler: CampaignScheduler,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.RUN_WORKERS !== 'true') return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private tick(): void {
    if (this.inFlight) return;
    this.inFlight = this.scheduler
      .tick(this.clock.now())
      .then((results) => {
        const inserted = results.reduce((sum, r) => sum + r.inserted, 0);
        if (inserted > 0) this.logger.log(`scheduled ${inserted} messages in ${results.length} campaigns`);
      })
      .catch((error) => this.logger.error(`scheduler tick failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (this.inFlight = null));
  }
}
