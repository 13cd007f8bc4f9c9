import type { Feb29Rule, IsoDate } from './calendar.types';

/**
 * Proleptic Gregorian date arithmetic on `YYYY-MM-DD` strings. Pure and zone-free: a date here is a
 * day on the wall calendar, never an instant, so nothing can slip a day through UTC (mautic#9040).
 */

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface Ymd {
  year: number;
  month: number;
  day: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parses and checks a real calendar date; throws a RangeError naming the bad text otherwise. */
export function parseIsoDate(text: IsoDate): Ymd {
  const match = ISO_DATE.exec(text);
  if (!match) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(text)}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new RangeError(`no such date: ${text}`);
  }
  return { year, month, day };
}

export function formatIsoDate({ year, month, day }: Ymd): IsoDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function isoDate(year: number, month: number, day: number): IsoDate {
  return formatIsoDate({ year, month, day });
}

/** Days since 1970-01-01. */
export function toEpochDay({ year, month, day }: Ymd): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years 0–99 literal, unlike Date.UTC
  return Math.round(date.getTime() / DAY_MS);
}

export function fromEpochDay(epochDay: number): Ymd {
  const date = new Date(epochDay * DAY_MS);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return formatIsoDate(fromEpochDay(toEpochDay(parseIsoDate(date)) + days));
}

/** Whole days from `a` to `b` (positive when `b` is later). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return toEpochDay(parseIsoDate(b)) - toEpochDay(parseIsoDate(a));
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: IsoDate): number {
  return (((toEpochDay(parseIsoDate(date)) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

export const SUNDAY = 0;
export const THURSDAY = 4;

/** The `nth` (1-based) given weekday of a month: Mother's Day is `nthWeekdayOfMonth(y, 5, SUNDAY, 2)`. */
export function nthWeekdayOfMonth(year: number, month: number, weekday: number, nth: number): IsoDate {
  const first = isoDate(year, month, 1);
  const offset = (weekday - dayOfWeek(first) + 7) % 7;
  const day = 1 + offset + (nth - 1) * 7;
  if (nth < 1 || day > daysInMonth(year, month)) throw new RangeError(`no weekday #${nth} in ${year}-${month}`);
  return isoDate(year, month, day);
}

/**
 * The date a yearly solar occasion (birthday, anniversary) falls on in `year`: the same month and
 * day, except 29 February in a common year, which goes to 28 February or 1 March by `rule`.
 */
export function sameDayInYear(original: Ymd, year: number, rule: Feb29Rule): IsoDate {
  if (original.month === 2 && original.day === 29 && !isLeapYear(year)) {
    return rule === 'mar1' ? isoDate(year, 3, 1) : isoDate(year, 2, 28);
  }
  return isoDate(year, original.month, original.day);
}

/**
 * Western (Gregorian) Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher,
 * "Astronomical Algorithms" ch. 8), valid for every Gregorian year from 1583 on.
 */
export function westernEaster(year: number): IsoDate {
  if (!Number.isInteger(year) || year < 1583) throw new RangeError(`Gregorian Easter needs a year from 1583, not ${year}`);
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return isoDate(year, month, day);
}

/**
 * Every solar birthday (month and day) celebrated on `date` under `rule` — the inverse of
 * `sameDayInYear`, for a query that asks "whose birthday is today": 29 February joins 28 February
 * (or 1 March) in common years.
 */
export function solarBirthdaysOn(date: IsoDate, rule: Feb29Rule): Array<{ month: number; day: number }> {
  const { year, month, day } = parseIsoDate(date);
  const matches = [{ month, day }];
  const standsIn = rule === 'mar1' ? month === 3 && day === 1 : month === 2 && day === 28;
  if (standsIn && !isLeapYear(year)) matches.push({ month: 2, day: 29 });
  return matches;
}
