import { HOLIDAY_KEYS } from './calendar.types';
import { calendarsForLocale, holidaysFor } from './holidays';
import { lunarDateOf } from './lunar-dates';
import { addDays, dayOfWeek, SUNDAY } from './solar-dates';

const dateOf = (selection: string | string[], year: number, key: string) => holidaysFor(selection, year).find((h) => h.key === key)?.date;

describe('holidays', () => {
  it('gives the Chinese festivals of a zh-CN contact in date order, with English and Chinese names', () => {
    expect(holidaysFor('zh-CN', 2027).map((h) => [h.key, h.date, h.name.zh])).toEqual([
      ['lunar-new-years-eve', '2027-02-05', '除夕'],
      ['spring-festival', '2027-02-06', '春节'],
      ['lantern', '2027-02-20', '元宵节'],
      ['qingming', '2027-04-05', '清明节'],
      ['dragon-boat', '2027-06-09', '端午节'],
      ['qixi', '2027-08-08', '七夕节'],
      ['mid-autumn', '2027-09-15', '中秋节'],
      ['double-ninth', '2027-10-08', '重阳节'],
    ]);
    expect(holidaysFor('zh-CN', 2027).find((h) => h.key === 'mid-autumn')?.name.en).toBe('Mid-Autumn Festival');
  });

  it('puts each lunar festival on its lunar date in every year from 1950 to 2100', () => {
    const expected: Record<string, [number, number]> = {
      'spring-festival': [1, 1],
      lantern: [1, 15],
      'dragon-boat': [5, 5],
      qixi: [7, 7],
      'mid-autumn': [8, 15],
      'double-ninth': [9, 9],
    };
    for (let year = 1950; year <= 2100; year++) {
      for (const holiday of holidaysFor(['chinese'], year)) {
        const lunar = lunarDateOf(holiday.date);
        if (holiday.key in expected) {
          expect([year, holiday.key, lunar.year, lunar.month, lunar.day, lunar.leap]).toEqual([year, holiday.key, year, ...expected[holiday.key], false]);
        }
        if (holiday.key === 'lunar-new-years-eve') {
          // The last day of the previous lunar year, whatever its length.
          expect(lunarDateOf(addDays(holiday.date, 1))).toEqual({ year, month: 1, day: 1, leap: false });
          expect([lunar.year, lunar.month, lunar.day >= 29]).toEqual([year - 1, 12, true]);
        }
        expect(holiday.date.startsWith(`${year}-`)).toBe(true);
      }
    }
  });

  it("puts New Year's Eve on 12/29 when the 12th month is short and on 12/30 when it is long", () => {
    // 2025–2029 have no 年三十: the 2026 eve is 腊月廿九; 2030's is 腊月三十 again (HKO tables).
    expect(dateOf('zh-CN', 2026, 'lunar-new-years-eve')).toBe('2026-02-16');
    expect(lunarDateOf('2026-02-16')).toEqual({ year: 2025, month: 12, day: 29, leap: false });
    expect(dateOf('zh-CN', 2030, 'lunar-new-years-eve')).toBe('2030-02-02');
    expect(lunarDateOf('2030-02-02')).toEqual({ year: 2029, month: 12, day: 30, leap: false });
  });

  it('gives the Western and US days of an en-US contact', () => {
    expect(holidaysFor('en-US', 2027).map((h) => [h.key, h.date])).toEqual([
      ['new-year', '2027-01-01'],
      ['valentines', '2027-02-14'],
      ['easter', '2027-03-28'],
      ['mothers-day', '2027-05-09'],
      ['fathers-day', '2027-06-20'],
      ['thanksgiving', '2027-11-25'],
      ['christmas', '2027-12-25'],
    ]);
    expect([2026, 2028, 2030].map((y) => dateOf('en', y, 'thanksgiving'))).toEqual(['2026-11-26', '2028-11-23', '2030-11-28']);
  });

  it('gives British contacts Mothering Sunday (three weeks before Easter) instead of the US Mother’s Day', () => {
    const keys = holidaysFor('en-GB', 2026).map((h) => h.key);
    expect(keys).toContain('mothering-sunday');
    expect(keys).not.toContain('mothers-day');
    expect(keys).not.toContain('thanksgiving');
    // Published: 15 March 2026, 7 March 2027, 26 March 2028 (gov.uk / timeanddate.com).
    expect([2026, 2027, 2028].map((y) => dateOf('en-GB', y, 'mothering-sunday'))).toEqual(['2026-03-15', '2027-03-07', '2028-03-26']);
    for (let year = 2000; year < 2100; year++) expect(dayOfWeek(dateOf(['uk'], year, 'mothering-sunday') as string)).toBe(SUNDAY);
  });

  it('chooses calendars by locale, or takes them by name from a campaign', () => {
    expect(calendarsForLocale('zh-CN')).toEqual(['chinese']);
    expect(calendarsForLocale('zh-Hant-TW')).toEqual(['chinese']);
    expect(calendarsForLocale('en')).toEqual(['western', 'us']);
    expect(calendarsForLocale('en-GB')).toEqual(['western', 'uk']);
    expect(calendarsForLocale('en-AU')).toEqual(['western']); // Australia keeps Father's Day in September
    expect(calendarsForLocale('de-DE')).toEqual(['western']);
    expect(calendarsForLocale(null)).toEqual(['western']);
    const both = holidaysFor(['chinese', 'western'], 2027).map((h) => h.key);
    expect(both).toEqual(expect.arrayContaining(['spring-festival', 'mid-autumn', 'christmas', 'easter']));
    expect(holidaysFor('chinese', 2027).map((h) => h.key)).toContain('qingming'); // a calendar name, not a locale
    // Father's Day belongs to both the US and the UK set but comes once.
    expect(holidaysFor(['us', 'uk'], 2027).filter((h) => h.key === 'fathers-day')).toHaveLength(1);
    expect(() => holidaysFor(['chinese', 'martian'], 2027)).toThrow(/unknown calendar martian/);
  });

  it('covers every holiday key in some calendar', () => {
    const all = holidaysFor(['chinese', 'western', 'us', 'uk'], 2027).map((h) => h.key);
    expect([...all].sort()).toEqual([...HOLIDAY_KEYS].sort());
  });
});
