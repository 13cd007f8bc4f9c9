import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DateTime } from 'luxon';
import { AppConfig } from '../../config/app-config';
import { ValueService } from './value.service';

/** The base-wide run happens once a day at this time (UTC), when few people use the service. */
export const DAILY_RUN_UTC = { hour: 3, minute: 0 } as const;

/** The first daily run time strictly after `from`. */
export function nextDailyRun(from: Date): Date {
  const at = DateTime.fromJSDate(from, { zone: 'utc' });
  const today = at.set({ ...DAILY_RUN_UTC, second: 0, millisecond: 0 });
  return (today > at ? today : today.plus({ days: 1 })).toJSDate();
}

/**
 * Runs ValueService.recomputeBase once a day. Every instance keeps a timer; the PostgreSQL advisory
 * lock lets the first one run and the others skip, and a second run the same day would only find
 * nothing to change. No timer under NODE_ENV=test: tests call recomputeBase with their own `now`.
 */
@Injectable()
export class ValueRecomputeJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ValueRecomputeJob');
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly value: ValueService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.NODE_ENV !== 'test') this.schedule(new Date());
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One run as of `now`: 'skipped' when another instance holds the lock. */
  async runOnce(now: Date): Promise<'ran' | 'skipped'> {
    const summary = await this.value.tryRecomputeBase(now);
    if (!summary) this.logger.log('base recompute skipped: another instance is running it');
    return summary ? 'ran' : 'skipped';
  }

  private schedule(from: Date): void {
    if (this.stopped) return;
    const delay = nextDailyRun(from).getTime() - from.getTime();
    this.timer = setTimeout(() => void this.tick(), delay);
    // The timer alone must not keep the process alive (CLI commands, shutdown).
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.runOnce(new Date());
    } catch (error) {
      this.logger.error(`base recompute failed: ${error instanceof Error ? error.stack : String(error)}`);
    } finally {
      this.schedule(new Date());
    }
  }
}
