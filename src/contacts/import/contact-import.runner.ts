import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ContactImportProcessor, ImportRunOptions } from './contact-import.processor';
import { ImportJob } from './import-job.entity';
import { ImportJobRepository, LEASE_SECONDS } from './import-job.repository';

/** How often a serving process looks for jobs whose holder went silent. */
const SWEEP_MS = 30_000;

/**
 * Runs import jobs in the background, one at a time per process so an import cannot starve the
 * API of connections. Jobs are held by a lease that this process renews while it lives; a job
 * whose lease ran out (its process stopped) is taken over by the next serving process to look:
 * at start-up, then every SWEEP_MS. A graceful shutdown stops after the current batch and gives
 * the job back at once. Work is safe to repeat, so a takeover re-does at most one batch.
 */
@Injectable()
export class ContactImportRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** Names this process in lease_owner; unique even when a pid is reused. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly logger = new Logger('ContactImport');
  private readonly queue: string[] = [];
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();
  private draining = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly jobs: ImportJobRepository,
    private readonly processor: ContactImportProcessor,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    const renew = () => this.track(this.jobs.extendLeases(this.owner)).catch((e: unknown) => this.logger.warn(`lease renewal failed: ${String(e)}`));
    this.timers.push(setInterval(renew, (LEASE_SECONDS * 1000) / 4).unref());
    // Only a process that serves HTTP adopts abandoned jobs: a CLI run must not take over the service's work.
    if (!this.adapterHost.httpAdapter) return;
    this.timers.push(setInterval(() => this.drain(), SWEEP_MS).unref());
    this.drain();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.timers.forEach(clearInterval);
    this.stopping.abort();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.jobs.release(this.owner).catch((error: unknown) => this.logger.warn(`could not release import jobs: ${String(error)}`));
  }

  /** A job this process created and already holds; it starts when the ones before it are done. */
  enqueue(id: string): void {
    this.queue.push(id);
    this.drain();
  }

  /** Runs a job in the caller's own flow (the CLI), reporting progress after every batch. */
  async runNow(id: string, options: ImportRunOptions = {}): Promise<ImportJob | 'interrupted'> {
    const job = await this.jobs.claim(id, this.owner);
    if (!job) throw new Error(`Import job ${id} is finished or held by another process.`);
    const stop = options.signal ? AbortSignal.any([options.signal, this.stopping.signal]) : this.stopping.signal;
    const result = await this.track(this.processor.process(job, this.owner, { ...options, signal: stop }));
    if (result === 'lost') throw new Error(`Import job ${id} was taken over by another process.`);
    if (result === 'interrupted') await this.jobs.release(this.owner, id);
    return result;
  }

  private drain(): void {
    if (this.draining || this.stopping.signal.aborted) return;
    this.draining = true;
    this.track(
      this.drainLoop()
        .catch((error: unknown) => this.logger.error(`import runner: ${error instanceof Error ? error.stack : String(error)}`))
        .finally(() => {
          this.draining = false;
          // A job enqueued while the loop was on its way out would otherwise wait for the next sweep.
          if (this.queue.length > 0) this.drain();
        }),
    );
  }

  private async drainLoop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const id = this.queue.shift();
      const job = id ? await this.jobs.claim(id, this.owner) : this.adapterHost.httpAdapter ? await this.jobs.claimAbandoned(this.owner) : null;
      if (!job) {
        if (id) continue;
        return;
      }
      const result = await this.processor.process(job, this.owner, { signal: this.stopping.signal });
      if (result === 'interrupted') await this.jobs.release(this.owner, job.id);
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    const tracked = promise.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return tracked;
  }
}
