import * as lunarJavascript from 'lunar-javascript';
import { toDateTime, validZone } from './dates';
import { ordinal } from './numbers';
import { isChinese } from './render-scope';

/** The calls made here (see ../lunar-javascript.d.ts for why they are typed locally). */
interface LunarApi {
  Solar: { fromYmd(year: number, month: number, day: number): { getLunar(): LunarOfDay } };
  LunarUtil: { MONTH: string[]; DAY: string[] };
}
interface LunarOfDay {
  /** Negative for a leap month (闰). */
  getMonth(): number;
  getDay(): number;
  /** 八, 正, 冬, 腊, 闰六 */
  getMonthInChinese(): string;
  /** 十五, 初一, 廿三 */
  getDayInChinese(): string;
}
const { Solar, LunarUtil } = lunarJavascript as unknown as LunarApi;

interface LunarDay {
  month: number;
  day: number;
  leap: boolean;
  /** 八, 闰六, 正, 腊 */
  monthName: string;
  /** 十五, 初一 */
  dayName: string;
}

/**
 * The Chinese lunar date of a day (its date in the contact's zone) or of a stored lunar birthday
 * ({month, day, leap}): 农历八月十五 in Chinese, "8th month, 15th day (lunar)" otherwise. The
 * conversion and the month and day names are lunar-javascript's, not tables of ours.
 */
export function lunarDate(input: unknown, locale: string, zone: string): string {
  const lunar = isLunarBirthday(input) ? fromLunarBirthday(input) : fromSolar(input, zone);
  if (!lunar) return '';
  if (isChinese(locale)) return `农历${lunar.monthName}月${lunar.dayName}`;
  return `${lunar.leap ? 'leap ' : ''}${ordinal(lunar.month, 'en')} month, ${ordinal(lunar.day, 'en')} day (lunar)`;
}

function isLunarBirthday(input: unknown): input is { month: unknown; day: unknown; leap?: unknown } {
  return typeof input === 'object' && input !== null && !(input instanceof Date) && 'month' in input && 'day' in input;
}

function fromLunarBirthday(input: { month: unknown; day: unknown; leap?: unknown }): LunarDay | null {
  const { month, day } = input;
  if (typeof month !== 'number' || typeof day !== 'number' || !Number.isInteger(month) || !Number.isInteger(day)) return null;
  if (month < 1 || month > 12 || day < 1 || day > 30) return null;
  const leap = input.leap === true;
  return { month, day, leap, monthName: `${leap ? '闰' : ''}${LunarUtil.MONTH[month]}`, dayName: LunarUtil.DAY[day] };
}

function fromSolar(input: unknown, zone: string): LunarDay | null {
  const dt = toDateTime(input, validZone(zone));
  if (!dt || dt.year < 1 || dt.year > 9999) return null;
  try {
    const lunar = Solar.fromYmd(dt.year, dt.month, dt.day).getLunar();
    return {
      month: Math.abs(lunar.getMonth()),
      day: lunar.getDay(),
      leap: lunar.getMonth() < 0,
      monthName: lunar.getMonthInChinese(),
      dayName: lunar.getDayInChinese(),
    };
  } catch {
    return null;
  }
}
