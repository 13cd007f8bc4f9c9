/**
 * The few parts of lunar-javascript 1.7.7 the care calendar uses (the package ships no types).
 * A leap month is numbered as the NEGATIVE of the month it follows (闰六月 = -6). Julian days
 * are astronomical and, like every date in the library, in Beijing time.
 */
declare module 'lunar-javascript' {
  export interface Solar {
    toYmd(): string;
  }

  export const Solar: {
    fromJulianDay(julianDay: number): Solar;
  };

  export interface Lunar {
    /** Solar terms around this lunar year, keyed by their name in the current I18n language. */
    getJieQiTable(): Record<string, Solar>;
  }

  export const Lunar: {
    fromYmd(lunarYear: number, lunarMonth: number, lunarDay: number): Lunar;
  };

  export interface LunarMonth {
    /** Negative for a leap month. */
    getMonth(): number;
    getDayCount(): number;
    getFirstJulianDay(): number;
    isLeap(): boolean;
  }

  export interface LunarYear {
    /** The month number that has a leap month after it this year, 0 when none. */
    getLeapMonth(): number;
    /** The months of this lunar year in order, the leap month in its place. */
    getMonthsInYear(): LunarMonth[];
  }

  export const LunarYear: {
    fromYear(lunarYear: number): LunarYear;
  };

  export const I18n: {
    getLanguage(): string;
    setLanguage(language: string): void;
    /** e.g. `getMessage('jq.qingMing')` → '清明' in the default language. */
    getMessage(key: string): string;
  };
}
