import { DateTime, IANAZone } from 'luxon';
import type { IsoDate } from './calendar.types';
import { addDays, parseIsoDate } from './solar-dates';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** A wall-clock time of day. */
export interface LocalTime {
  hour: number;
  minute: number;
}

export function parseLocalTime(text: string): LocalTime {
  const match = LOCAL_TIME.exec(text);
  if (!match) throw new RangeError(`not an HH:MM time: ${JSON.stringify(text)}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

// luxon checks a zone name by building an Intl.DateTimeFormat (~200 µs); a trigger asks about the
// same few hundred names all day long.
const zoneChecks = new Map<string, boolean>();
function isKnownZone(name: string): boolean {
  let known = zoneChecks.get(name);
  if (known === undefined) {
    known = IANAZone.isValidZone(name);
    if (zoneChecks.size >= 10_000) zoneChecks.clear();
    zoneChecks.set(name, known);
  }
  return known;
}

/** The named zone, or `fallback` when the name is missing or not an IANA zone luxon knows. */
export function resolveZone(name: string | null | undefined, fallback = 'UTC'): IANAZone {
  if (name && isKnownZone(name)) return IANAZone.create(name);
  if (!isKnownZone(fallback)) throw new RangeError(`unknown time zone: ${fallback}`);
  return IANAZone.create(fallback);
}

/** The date on the wall calendar in `zone` at `instant`. */
export function localDateOf(instant: Date, zone: IANAZone): IsoDate {
  return DateTime.fromJSDate(instant, { zone }).toISODate() as IsoDate;
}

/**
 * The instant at which the clocks in `zone` show `time` on `date`:
 * - an ordinary local time → its one instant;
 * - a time that happens twice (the hour repeated when clocks go back) → the first of the two;
 * - a time that never happens (skipped when clocks go forward) → the first instant after the gap,
 *   i.e. the moment of the jump: 02:30 on the spring-forward day in Los Angeles is 03:00 PDT.
 * luxon alone would move a skipped time forward by the size of the gap (02:30 → 03:30), which is
 * not the first valid instant, hence the explicit search.
 */
export function instantAtLocalTime(date: IsoDate, time: LocalTime, zone: IANAZone): Date {
  const { year, month, day } = parseIsoDate(date);
  const wallAsUtc = Date.UTC(year, month - 1, day, time.hour, time.minute);
  // Every offset in force within a day either side; real zones change at most once or twice a day.
  const offsets = [...new Set([-24, -12, 0, 12, 24].map((hours) => zone.offset(wallAsUtc + hours * HOUR_MS)))];
  const matches = offsets
    .map((offset) => wallAsUtc - offset * MINUTE_MS)
    .filter((instant) => instant + zone.offset(instant) * MINUTE_MS === wallAsUtc)
    .sort((a, b) => a - b);
  if (matches.length > 0) return new Date(matches[0]);
  return new Date(firstInstantShowingAtLeast(wallAsUtc, offsets, zone));
}

/**
 * Inside a gap the wall clock (instant + offset) jumps over `wallAsUtc`: search the jump, the first
 * instant whose wall clock reads `wallAsUtc` or later. Wall time rises with the instant inside
 * the bracket because a gap is made by the offset going up.
 */
function firstInstantShowingAtLeast(wallAsUtc: number, offsets: number[], zone: IANAZone): number {
  const wall = (instant: number) => instant + zone.offset(instant) * MINUTE_MS;
  let low = wallAsUtc - Math.max(...offsets) * MINUTE_MS; // shows at most wallAsUtc
  let high = wallAsUtc - Math.min(...offsets) * MINUTE_MS; // shows at least wallAsUtc
  if (wall(low) >= wallAsUtc) return low;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (wall(middle) >= wallAsUtc) high = middle;
    else low = middle;
  }
  return high;
}

/**
 * The local dates in `zone` whose `time` falls in [from, to): what a trigger evaluated over that
 * window must look at. Each date comes out of exactly one of a run of adjacent windows.
 */
export function localDatesDue(from: Date, to: Date, zone: IANAZone, time: LocalTime): IsoDate[] {
  if (!(from.getTime() < to.getTime())) return [];
  const dates: IsoDate[] = [];
  const last = addDays(localDateOf(to, zone), 1);
  for (let date = addDays(localDateOf(from, zone), -1); date <= last; date = addDays(date, 1)) {
    const at = instantAtLocalTime(date, time, zone).getTime();
    if (at >= from.getTime() && at < to.getTime()) dates.push(date);
  }
  return dates;
}
