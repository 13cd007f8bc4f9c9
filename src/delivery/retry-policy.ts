/**
 * When to try a transiently failed message again: exponential backoff with full jitter (AWS
 * architecture blog, "Exponential Backoff And Jitter"), so workers that failed together against a
 * struggling relay do not come back together.
 */
export interface RetryPolicy {
  baseSeconds: number;
  maxSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseSeconds: 30, maxSeconds: 3_600 };

/** `attempt` counts from 1 (the attempt that just failed). `random` in [0, 1) is injectable for tests. */
export function nextAttemptAt(now: Date, attempt: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random: () => number = Math.random): Date {
  const ceiling = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.max(0, attempt - 1));
  // Never less than a second: a zero delay would make the retry race the failure's own bookkeeping.
  const delaySeconds = Math.max(1, ceiling * random());
  return new Date(now.getTime() + delaySeconds * 1000);
}
