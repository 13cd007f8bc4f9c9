import fc from 'fast-check';
import { I18n } from 'lunar-javascript';
import { lunarBirthdaysOn, lunarDateOf, lunarToSolar, resolveLunarDate, solarTermDate } from './lunar-dates';
import { addDays } from './solar-dates';

// ICU's Chinese calendar (Intl, `u-ca-chinese`) is a second, independent implementation.
const icuFormat = new Intl.DateTimeFormat('en-u-ca-chinese', { timeZone: 'UTC', year: 'numeric', month: 'numeric', day: 'numeric' });
function icuLunar(date: string): string {
  const parts = Object.fromEntries(icuFormat.formatToParts(new Date(`${date}T00:00:00Z`)).map((part) => [part.type, part.value]));
  return `${parts.relatedYear}/${parts.month}/${parts.day}`; // a leap month reads "6bis"
}
function libraryLunar(date: string): string {
  const { year, month, day, leap } = lunarDateOf(date);
  return `${year}/${month}${leap ? 'bis' : ''}/${day}`;
}

describe('lunar dates', () => {
  // Published dates: Hong Kong Observatory, Gregorian-Lunar Calendar Conversion Tables
  // (hko.gov.hk/en/gts/time/conversion1_text.htm); the same on timeanddate.com.
  const PUBLISHED = {
    springFestival: { 2026: '2026-02-17', 2027: '2027-02-06', 2028: '2028-01-26', 2029: '2029-02-13', 2030: '2030-02-03' },
    midAutumn: { 2026: '2026-09-25', 2027: '2027-09-15', 2028: '2028-10-03', 2029: '2029-09-22', 2030: '2030-09-12' },
    // HKO, "The 24 Solar Terms" tables: 清明 on 5, 5, 4, 4, 5 April.
    qingming: { 2026: '2026-04-05', 2027: '2027-04-05', 2028: '2028-04-04', 2029: '2029-04-04', 2030: '2030-04-05' },
  };

  it('puts the Spring Festival (1/1) and Mid-Autumn (8/15) of 2026–2030 on the published dates', () => {
    for (const year of [2026, 2027, 2028, 2029, 2030] as const) {
      expect([year, lunarToSolar(year, 1, 1)]).toEqual([year, PUBLISHED.springFestival[year]]);
      expect([year, lunarToSolar(year, 8, 15)]).toEqual([year, PUBLISHED.midAutumn[year]]);
    }
  });

  it('finds Qingming from the solar-term table on the published day, whatever language the library speaks', () => {
    for (const year of [2026, 2027, 2028, 2029, 2030] as const) expect(solarTermDate(year, 'qingMing')).toBe(PUBLISHED.qingming[year]);
    const language = I18n.getLanguage();
    try {
      I18n.setLanguage('en'); // the table's keys become English names
      expect(solarTermDate(2028, 'qingMing')).toBe('2028-04-04');
    } finally {
      I18n.setLanguage(language);
    }
  });

  it('knows the leap months of 2025 (闰六月), 2028 (闰五月), 2031 (闰三月) and 2033 (闰十一月)', () => {
    for (const [year, month] of [[2025, 6], [2028, 5], [2031, 3], [2033, 11]]) {
      const { lunarDate, solar } = resolveLunarDate(year, month, 1, true);
      expect(lunarDate).toEqual({ year, month, day: 1, leap: true });
      expect(icuLunar(solar)).toBe(`${year}/${month}bis/1`);
      // The leap month follows the regular month of the same number.
      expect(solar > lunarToSolar(year, month, 1, false)).toBe(true);
    }
    expect(resolveLunarDate(2026, 6, 1, true).lunarDate.leap).toBe(false); // 2026 has no leap month
  });

  // Each row: lunar year → solar date, checked below against ICU as well as typed here.
  it('maps a lunar birthday on the 30th to the 29th in a year whose month is short', () => {
    // 二月三十: the 2nd month has 29 days in lunar 2026, 30 in 2027 and 2028.
    expect(resolveLunarDate(2026, 2, 30, false)).toEqual({ solar: '2026-04-16', lunarDate: { year: 2026, month: 2, day: 29, leap: false } });
    expect(resolveLunarDate(2027, 2, 30, false)).toEqual({ solar: '2027-04-06', lunarDate: { year: 2027, month: 2, day: 30, leap: false } });
    expect(resolveLunarDate(2028, 2, 30, false)).toEqual({ solar: '2028-03-25', lunarDate: { year: 2028, month: 2, day: 30, leap: false } });
    expect(['2026-04-16', '2027-04-06', '2028-03-25'].map(icuLunar)).toEqual(['2026/2/29', '2027/2/30', '2028/2/30']);
    expect(icuLunar(addDays('2026-04-16', 1))).toBe('2026/3/1'); // 29 really was the last day
  });

  it('maps a leap-month birthday to the leap month when the year has it, else to the regular month', () => {
    // Born 2025-08-08, 闰六月十五.
    expect(lunarDateOf('2025-08-08')).toEqual({ year: 2025, month: 6, day: 15, leap: true });
    expect(lunarToSolar(2025, 6, 15, true)).toBe('2025-08-08');
    expect(lunarToSolar(2026, 6, 15, true)).toBe('2026-07-28'); // no leap 6th month in 2026
    expect(lunarToSolar(2027, 6, 15, true)).toBe('2027-07-18');
    expect(lunarToSolar(2028, 6, 15, true)).toBe('2028-08-05'); // 2028 leaps the 5th, not the 6th
    expect(['2026-07-28', '2027-07-18', '2028-08-05'].map(icuLunar)).toEqual(['2026/6/15', '2027/6/15', '2028/6/15']);
    // 闰三月三十 in 2031, whose leap 3rd month has 29 days: its last day.
    expect(resolveLunarDate(2031, 3, 30, true)).toEqual({ solar: '2031-05-20', lunarDate: { year: 2031, month: 3, day: 29, leap: true } });
    expect(icuLunar('2031-05-20')).toBe('2031/3bis/29');
  });

  it('keeps a regular-month birthday in the regular month in a year that also has the leap one', () => {
    expect(lunarToSolar(2028, 5, 10, false)).toBe('2028-06-02');
    expect(lunarToSolar(2028, 5, 10, true)).toBe('2028-07-02');
    expect([icuLunar('2028-06-02'), icuLunar('2028-07-02')]).toEqual(['2028/5/10', '2028/5bis/10']);
  });

  it('counts the 11th and 12th months of lunar year Y in January of Y+1', () => {
    expect(lunarToSolar(2026, 12, 19)).toBe('2027-01-26');
    expect(icuLunar('2027-01-26')).toBe('2026/12/19');
  });

  it('rejects dates that cannot be lunar birthdays', () => {
    expect(() => lunarToSolar(2027, 13, 1)).toThrow(RangeError);
    expect(() => lunarToSolar(2027, 0, 1)).toThrow(RangeError);
    expect(() => lunarToSolar(2027, 1, 31)).toThrow(RangeError);
    expect(() => lunarToSolar(2027, 1, 1.5)).toThrow(RangeError);
    expect(() => lunarToSolar(1700, 1, 1)).toThrow(RangeError);
  });

  it('agrees with ICU on every day 1990–2060 except five months where ICU misplaces a new moon near midnight', () => {
    // ICU computes the new moon with a low-precision model (unicode-org/icu PR #4070, ICU-23274);
    // each of these new moons falls within 15 minutes of midnight Beijing time (1999-01-17 23:46,
    // 2012-08-17 23:54, 2018-11-08 00:02, 2027-02-06 23:56, 2030-02-03 00:07), so ICU starts the
    // month a day off. lunar-javascript matches the published calendar there: HKO puts the 2027
    // Spring Festival on 6 February and 2030's on 3 February, where ICU says the 7th and the 2nd.
    const disagreements: string[][] = [];
    let inRun = false;
    for (let date = '1990-01-01'; date < '2061-01-01'; date = addDays(date, 1)) {
      const differs = icuLunar(date) !== libraryLunar(date);
      if (differs && !inRun) disagreements.push([date]);
      if (!differs && inRun) disagreements[disagreements.length - 1].push(date);
      inRun = differs;
    }
    expect(disagreements).toEqual([
      ['1999-01-17', '1999-02-16'],
      ['2012-08-17', '2012-09-16'],
      ['2018-11-07', '2018-12-07'],
      ['2027-02-06', '2027-03-08'],
      ['2030-02-02', '2030-03-04'],
    ]);
    expect(icuLunar('2027-02-06')).toBe('2026/12/30');
    expect(icuLunar('2030-02-02')).toBe('2030/1/1');
  });

  const lunarBirthday = fc.record({ month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 30 }), leap: fc.boolean() });

  it('property: a lunar birthday resolves to a real lunar date of the same month number, at most its own day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1901, max: 2099 }), lunarBirthday, (year, birthday) => {
        const { solar, lunarDate } = resolveLunarDate(year, birthday.month, birthday.day, birthday.leap);
        expect(lunarDateOf(solar)).toEqual(lunarDate);
        expect(lunarDate.month).toBe(birthday.month);
        if (!birthday.leap) expect(lunarDate.leap).toBe(false);
        if (lunarDate.day !== birthday.day) {
          // Only the 30th is ever moved, and only to the 29th when that is the month's last day.
          expect([birthday.day, lunarDate.day]).toEqual([30, 29]);
          expect(lunarDateOf(addDays(solar, 1)).day).toBe(1);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: lunarBirthdaysOn(date) is exactly the birthdays that resolve to that date', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1901, max: 2099 }), lunarBirthday, (year, birthday) => {
        const solar = lunarToSolar(year, birthday.month, birthday.day, birthday.leap);
        expect(lunarBirthdaysOn(solar)).toContainEqual(birthday);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.date({ min: new Date('1901-03-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }), (instant) => {
        const date = instant.toISOString().slice(0, 10);
        const { year } = lunarDateOf(date);
        for (const birthday of lunarBirthdaysOn(date)) expect(lunarToSolar(year, birthday.month, birthday.day, birthday.leap)).toBe(date);
      }),
      { numRuns: 2000 },
    );
  });
});
