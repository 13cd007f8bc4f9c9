/**
 * A token bucket per channel: at most `perSecond` messages a second from this process, with bursts
 * of up to one second's worth. Waiting is a timer, not a spin.
 */
export class RateLimiter {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.tokens = perSecond;
    this.updatedAt = clock();
  }

  /** Resolves when one message may go. Callers are served in order. */
  take(): Promise<void> {
    if (!Number.isFinite(this.perSecond) || this.perSecond <= 0) return Promise.resolve();
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn;
    return turn;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const now = this.clock();
      this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
      this.updatedAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = ((1 - this.tokens) / this.perSecond) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
    }
  }
}
