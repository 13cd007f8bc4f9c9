import { Injectable } from '@nestjs/common';

/**
 * The one source of "now" for campaigns and triggers. Inject `Clock`; production binds
 * `SystemClock`, tests bind a `ManualClock` and move it through days, DST changes and time zones.
 * An abstract class rather than an interface so it is its own injection token.
 */
export abstract class Clock {
  abstract now(): Date;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

export interface ClockStep {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

/**
 * A clock that stands still until told to move. `advance` adds elapsed time (a day is 24 hours of
 * real time, not a calendar day in some zone), and it never goes backwards unless `set` says so.
 */
export class ManualClock extends Clock {
  private current: number;

  constructor(start: Date | string) {
    super();
    this.current = ManualClock.toMillis(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date | string): void {
    this.current = ManualClock.toMillis(to);
  }

  /** Moves forward by a step (`{ minutes: 5 }`) or a number of milliseconds; returns the new now. */
  advance(step: ClockStep | number): Date {
    const ms =
      typeof step === 'number'
        ? step
        : (((step.days ?? 0) * 24 + (step.hours ?? 0)) * 60 + (step.minutes ?? 0)) * 60_000 + (step.seconds ?? 0) * 1000 + (step.milliseconds ?? 0);
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a clock only advances forwards, not by ${ms} ms`);
    this.current += ms;
    return this.now();
  }

  private static toMillis(value: Date | string): number {
    const ms = (typeof value === 'string' ? new Date(value) : value).getTime();
    if (Number.isNaN(ms)) throw new RangeError(`not a time: ${String(value)}`);
    return ms;
  }
}

let processClock: Clock | null = null;

/**
 * Replaces the system clock for this process before the application starts: `npm run demo` plays a
 * chosen day this way. Tests override the provider instead.
 */
export function setProcessClock(clock: Clock): void {
  processClock = clock;
}

export function clockForProcess(): Clock {
  return processClock ?? new SystemClock();
}
