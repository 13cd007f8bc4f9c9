import { DateTime, DateTimeFormatOptions, IANAZone } from 'luxon';
import { cached, safeLocale } from './intl-cache';

/** The styles `{{formatDate date "style"}}` knows; the strict check refuses any other literal. */
export const DATE_STYLES: Readonly<Record<string, DateTimeFormatOptions>> = {
  short: DateTime.DATE_SHORT,
  medium: DateTime.DATE_MED,
  long: DateTime.DATE_FULL,
  full: DateTime.DATE_HUGE,
  monthDay: { month: 'long', day: 'numeric' },
  weekday: { weekday: 'long' },
  time: DateTime.TIME_SIMPLE,
  datetime: DateTime.DATETIME_MED,
};

export const DEFAULT_DATE_STYLE = 'long';
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

const zones = new Map<string, string>();

/** The zone if IANA knows it, else UTC. Asking luxon costs ~0.1 ms (it builds a formatter), so answers are kept. */
export function validZone(zone: unknown): string {
  if (typeof zone !== 'string' || zone.length > 64) return 'UTC';
  return cached(zones, zone, () => (IANAZone.isValidZone(zone) ? zone : 'UTC'));
}

/**
 * An instant or a calendar day in `zone`. A date-only text (a birthday, "2026-09-25") is that day
 * in the zone, never shifted across midnight; an instant (Date, ISO time, epoch ms) is converted.
 */
export function toDateTime(input: unknown, zone: string): DateTime | null {
  let dt: DateTime;
  if (input instanceof Date) dt = DateTime.fromJSDate(input, { zone });
  else if (typeof input === 'number' && Number.isFinite(input)) dt = DateTime.fromMillis(input, { zone });
  else if (typeof input === 'string' && input.length <= 64) dt = DateTime.fromISO(input, { zone });
  else return null;
  return dt.isValid ? dt : null;
}

export function formatDate(input: unknown, style: unknown, locale: string, zone: string): string {
  const format = DATE_STYLES[typeof style === 'string' ? style : DEFAULT_DATE_STYLE];
  const dt = format ? toDateTime(input, validZone(zone)) : null;
  return dt ? dt.setLocale(safeLocale(locale)).toLocaleString(format) : '';
}

/**
 * The age of the birthday being celebrated: the years turned on the anniversary nearest to `at`
 * (in the contact's zone), so a card posted a week early and a greeting sent a day late both
 * carry the NEW age. 29 February is celebrated on 28 February in other years. Plain date
 * arithmetic after one zone conversion: a batch computes it for every recipient.
 */
export function birthdayAge(birthday: unknown, at: unknown, zone: string): number | null {
  const match = typeof birthday === 'string' ? DATE_ONLY.exec(birthday) : null;
  const reference = calendarDay(at, validZone(zone));
  if (!match || !reference) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return null;
  const target = Date.UTC(reference.year, reference.month - 1, reference.day);
  let nearest = reference.year;
  let nearestDistance = Infinity;
  for (const candidate of [reference.year - 1, reference.year, reference.year + 1]) {
    const leapDay = month === 2 && day === 29 && !isLeapYear(candidate);
    const distance = Math.abs(Date.UTC(candidate, month - 1, leapDay ? 28 : day) - target);
    if (distance < nearestDistance) {
      nearest = candidate;
      nearestDistance = distance;
    }
  }
  const age = nearest - year;
  return age >= 0 && age <= 200 ? age : null;
}

const calendarDays = new Map<string, { year: number; month: number; day: number } | null>();

/** The day `at` falls on in `zone`; a batch shares one reference instant, so the answer is kept. */
function calendarDay(at: unknown, zone: string): { year: number; month: number; day: number } | null {
  const instant = at instanceof Date ? at.getTime() : typeof at === 'string' || typeof at === 'number' ? String(at) : null;
  if (instant === null) return null;
  return cached(calendarDays, `${instant}|${zone}`, () => {
    const dt = toDateTime(at, zone);
    return dt ? { year: dt.year, month: dt.month, day: dt.day } : null;
  });
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
