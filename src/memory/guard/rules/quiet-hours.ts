import { DateTime, IANAZone } from 'luxon';

/** Local minutes after midnight: [start, end). `start > end` crosses midnight; `start == end` is no quiet time. */
export interface QuietWindow {
  start: number;
  end: number;
}

const WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export function parseQuietHours(text: unknown): QuietWindow | null {
  if (typeof text !== 'string') return null;
  const match = WINDOW.exec(text.trim());
  if (!match) return null;
  return { start: Number(match[1]) * 60 + Number(match[2]), end: Number(match[3]) * 60 + Number(match[4]) };
}

/** The contact's zone, or UTC when none is known or the name is not one luxon knows. */
const zones = new Map<string, IANAZone>();

/** Memoised: luxon's zone check costs about 0.2 ms, once per message otherwise. */
export function zoneOrUtc(name: string | null | undefined): IANAZone {
  const key = name ?? '';
  let zone = zones.get(key);
  if (!zone) {
    zone = name && IANAZone.isValidZone(name) ? IANAZone.create(name) : IANAZone.create('UTC');
    if (zones.size < 10_000) zones.set(key, zone);
  }
  return zone;
}

function isQuiet(window: QuietWindow, minuteOfDay: number): boolean {
  if (window.start === window.end) return false;
  return window.start < window.end
    ? minuteOfDay >= window.start && minuteOfDay < window.end
    : minuteOfDay >= window.start || minuteOfDay < window.end;
}

/**
 * The first instant at or after `now` that is outside the quiet window in `zone`: `now` itself when
 * it already is. Works on wall-clock time, so on a daylight-saving day "08:00" is 08:00 on the
 * clock, whatever the offset; when the end of the window does not exist (the clock jumps over
 * it), the answer is the instant of the jump.
 */
export function nextAllowedInstant(now: Date, window: QuietWindow, zone: IANAZone): Date {
  const local = DateTime.fromJSDate(now, { zone });
  const minuteOfDay = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / MINUTE;
  if (!isQuiet(window, minuteOfDay)) return now;
  // Inside a window that crosses midnight and started this evening: it ends tomorrow.
  const endDay = window.start > window.end && minuteOfDay >= window.start ? local.plus({ days: 1 }) : local;
  for (let extraDays = 0; extraDays < 3; extraDays++) {
    const day = endDay.plus({ days: extraDays });
    const at = earliestAtWallTime(day.year, day.month, day.day, window.end, zone, now.getTime());
    if (at !== null) return new Date(at);
  }
  // Unreachable for real zones: it would take three missing days in a row.
  throw new Error(`no allowed time after ${now.toISOString()} in ${zone.name}`);
}

/**
 * The earliest instant after `after` whose local time on that date is `minutes` after midnight: the
 * first of the two when the hour repeats (autumn), the moment of the jump when it is skipped (spring).
 */
function earliestAtWallTime(year: number, month: number, day: number, minutes: number, zone: IANAZone, after: number): number | null {
  const wallAsUtc = Date.UTC(year, month - 1, day) + minutes * MINUTE;
  const offsets = [...new Set([-DAY, 0, DAY].map((shift) => zone.offset(wallAsUtc + shift)))];
  const candidates = offsets.map((offset) => wallAsUtc - offset * MINUTE);
  const valid = candidates.filter((t) => zone.offset(t) * MINUTE === wallAsUtc - t && t > after);
  if (valid.length > 0) return Math.min(...valid);
  if (offsets.length < 2) return null;
  // The wall time is skipped: find the jump between the two readings by bisection.
  let lo = Math.min(...candidates);
  let hi = Math.max(...candidates);
  const offsetAfter = zone.offset(hi);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === offsetAfter) hi = mid;
    else lo = mid;
  }
  return hi > after ? hi : null;
}
