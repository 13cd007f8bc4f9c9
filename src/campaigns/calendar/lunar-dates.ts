import { I18n, Lunar, LunarYear, Solar } from 'lunar-javascript';
import type { IsoDate, LunarBirthday, LunarDate } from './calendar.types';
import { formatIsoDate, fromEpochDay, parseIsoDate, toEpochDay } from './solar-dates';

/**
 * Chinese calendar conversions on top of lunar-javascript, which computes new moons and solar terms
 * astronomically (寿星万年历 algorithms) for Beijing time — the time the Chinese calendar is defined
 * in — so no date table is typed in here. Lunar year Y is the one whose Spring Festival (正月初一)
 * falls in solar year Y; its 11th and 12th months reach into January/February of Y+1.
 */

/** Beyond these years the library still answers, but published calendars differ in their rules. */
export const LUNAR_YEAR_MIN = 1800;
export const LUNAR_YEAR_MAX = 2300;

interface MonthSpan {
  month: number;
  leap: boolean;
  /** Epoch day (days since 1970-01-01) of its first day. */
  first: number;
  days: number;
}

interface YearShape {
  leapMonth: number;
  months: MonthSpan[];
}

// The library builds a whole year (new moons, solar terms) on every conversion and caches only the
// last year, ~1 ms each; a trigger asks about the same few years over and over. A year's shape is
// computed once by the library and kept here: 500 years at most, a few kilobytes each.
const shapes = new Map<number, YearShape>();
const solarTerms = new Map<string, IsoDate>();

function checkLunarYear(year: number): void {
  if (!Number.isInteger(year) || year < LUNAR_YEAR_MIN || year > LUNAR_YEAR_MAX) {
    throw new RangeError(`lunar year must be an integer from ${LUNAR_YEAR_MIN} to ${LUNAR_YEAR_MAX}, not ${year}`);
  }
}

function shapeOf(year: number): YearShape {
  checkLunarYear(year);
  let shape = shapes.get(year);
  if (!shape) {
    const lunarYear = LunarYear.fromYear(year);
    const months = lunarYear.getMonthsInYear().map((month) => ({
      month: Math.abs(month.getMonth()),
      leap: month.isLeap(),
      first: toEpochDay(parseIsoDate(Solar.fromJulianDay(month.getFirstJulianDay()).toYmd())),
      days: month.getDayCount(),
    }));
    shape = { leapMonth: lunarYear.getLeapMonth(), months };
    shapes.set(year, shape);
  }
  return shape;
}

function monthOf(year: number, month: number, leap: boolean): MonthSpan {
  const span = shapeOf(year).months.find((candidate) => candidate.month === month && candidate.leap === leap);
  if (!span) throw new Error(`lunar-javascript has no ${leap ? 'leap ' : ''}month ${month} in lunar year ${year}`);
  return span;
}

export function checkLunarBirthday(birthday: LunarBirthday): void {
  const { month, day, leap } = birthday;
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`lunar month must be 1–12, not ${month}`);
  if (!Number.isInteger(day) || day < 1 || day > 30) throw new RangeError(`lunar day must be 1–30, not ${day}`);
  if (typeof leap !== 'boolean') throw new RangeError('lunar leap must be true or false');
}

/**
 * Where a lunar date (a birthday, a festival) falls in lunar year `year`, as a solar date:
 * - day 30 of a month that has only 29 days this year → day 29, the last day of that month;
 * - a leap-month date in a year without that leap month → the regular month of the same number;
 * - a regular-month date → always the regular month, never the leap month that may follow it.
 * `lunarDate` is the date actually used after those rules.
 */
export function resolveLunarDate(year: number, month: number, day: number, leap: boolean): { solar: IsoDate; lunarDate: LunarDate } {
  checkLunarBirthday({ month, day, leap });
  const useLeap = leap && shapeOf(year).leapMonth === month;
  const span = monthOf(year, month, useLeap);
  const usedDay = Math.min(day, span.days);
  return { solar: formatIsoDate(fromEpochDay(span.first + usedDay - 1)), lunarDate: { year, month, day: usedDay, leap: useLeap } };
}

/** The solar date of a lunar date in lunar year `year`, by the rules of `resolveLunarDate`. */
export function lunarToSolar(year: number, month: number, day: number, leap = false): IsoDate {
  return resolveLunarDate(year, month, day, leap).solar;
}

/** The Chinese calendar date of a solar date. */
export function lunarDateOf(date: IsoDate): LunarDate {
  const ymd = parseIsoDate(date);
  const epochDay = toEpochDay(ymd);
  // Before its Spring Festival a solar year is still in the previous lunar year.
  const year = epochDay >= shapeOf(ymd.year).months[0].first ? ymd.year : ymd.year - 1;
  const span = shapeOf(year).months.find((candidate) => epochDay >= candidate.first && epochDay < candidate.first + candidate.days);
  if (!span) throw new Error(`lunar-javascript's lunar year ${year} does not cover ${date}`);
  return { year, month: span.month, day: epochDay - span.first + 1, leap: span.leap };
}

/**
 * Every lunar birthday that is celebrated on `date` under the rules of `resolveLunarDate` — the
 * inverse, for a query that asks "whose lunar birthday is today" without converting each contact.
 */
export function lunarBirthdaysOn(date: IsoDate): LunarBirthday[] {
  const today = lunarDateOf(date);
  const span = monthOf(today.year, today.month, today.leap);
  const days = today.day === 29 && span.days === 29 ? [29, 30] : [today.day];
  // A leap birthday lands in the regular month in every year that has no leap month of that number.
  const leaps = today.leap ? [true] : shapeOf(today.year).leapMonth === today.month ? [false] : [false, true];
  return leaps.flatMap((leap) => days.map((day) => ({ month: today.month, day, leap })));
}

/** The day a solar term begins in solar year `year` (Beijing time), e.g. `solarTermDate(2027, 'qingMing')`. */
export function solarTermDate(year: number, term: 'qingMing'): IsoDate {
  checkLunarYear(year);
  const key = `${year}:${term}`;
  const known = solarTerms.get(key);
  if (known) return known;
  // The table of lunar year `year` runs from the winter solstice before its new year to the spring
  // after, so it holds this solar year's Qingming; its keys follow the library's I18n language.
  const table = Lunar.fromYmd(year, 1, 1).getJieQiTable();
  const solar = table[I18n.getMessage(`jq.${term}`)];
  if (!solar) throw new Error(`lunar-javascript has no solar term ${term} for ${year}`);
  solarTerms.set(key, solar.toYmd());
  return solar.toYmd();
}
