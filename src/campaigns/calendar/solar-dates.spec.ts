import {
  addDays,
  dayOfWeek,
  daysBetween,
  isoDate,
  nthWeekdayOfMonth,
  parseIsoDate,
  sameDayInYear,
  solarBirthdaysOn,
  SUNDAY,
  THURSDAY,
  westernEaster,
} from './solar-dates';

describe('solar dates', () => {
  it('computes Western Easter on the published dates', () => {
    // Astronomical Society of South Australia, "Easter Dates" tables (also timeanddate.com).
    const published: Record<number, string> = {
      2000: '2000-04-23',
      2008: '2008-03-23',
      2011: '2011-04-24',
      2019: '2019-04-21',
      2024: '2024-03-31',
      2025: '2025-04-20',
      2026: '2026-04-05',
      2027: '2027-03-28',
      2028: '2028-04-16',
      2029: '2029-04-01',
      2030: '2030-04-21',
      2038: '2038-04-25',
      2285: '2285-03-22',
    };
    for (const [year, date] of Object.entries(published)) expect([year, westernEaster(Number(year))]).toEqual([year, date]);
    expect(() => westernEaster(1582)).toThrow(RangeError);
  });

  it('always puts Easter on a Sunday from 22 March to 25 April (1583–4099)', () => {
    for (let year = 1583; year <= 4099; year++) {
      const easter = westernEaster(year);
      expect(dayOfWeek(easter)).toBe(SUNDAY);
      expect(easter >= isoDate(year, 3, 22) && easter <= isoDate(year, 4, 25)).toBe(true);
    }
  });

  it("finds Mother's Day, Father's Day and Thanksgiving (US) on the published dates", () => {
    // timeanddate.com, US holidays.
    expect([2026, 2027, 2028, 2029].map((y) => nthWeekdayOfMonth(y, 5, SUNDAY, 2))).toEqual(['2026-05-10', '2027-05-09', '2028-05-14', '2029-05-13']);
    expect([2026, 2027, 2028].map((y) => nthWeekdayOfMonth(y, 6, SUNDAY, 3))).toEqual(['2026-06-21', '2027-06-20', '2028-06-18']);
    expect([2026, 2027, 2028, 2029, 2030].map((y) => nthWeekdayOfMonth(y, 11, THURSDAY, 4))).toEqual([
      '2026-11-26',
      '2027-11-25',
      '2028-11-23',
      '2029-11-22',
      '2030-11-28',
    ]);
    expect(() => nthWeekdayOfMonth(2027, 2, SUNDAY, 5)).toThrow(RangeError); // February 2027 has four Sundays
  });

  it('does date arithmetic across months, leap days and years, and rejects dates that do not exist', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
    expect(daysBetween('2027-01-01', '2028-01-01')).toBe(365);
    expect(dayOfWeek('2027-03-14')).toBe(SUNDAY);
    for (const bad of ['2027-02-29', '2027-13-01', '2027-04-31', '2027-4-1', '27-04-01', '']) expect(() => parseIsoDate(bad)).toThrow(RangeError);
  });

  it('moves a 29 February birthday to 28 February or 1 March in a common year, and keeps it in a leap year', () => {
    const leapling = parseIsoDate('2000-02-29');
    expect(sameDayInYear(leapling, 2027, 'feb28')).toBe('2027-02-28');
    expect(sameDayInYear(leapling, 2027, 'mar1')).toBe('2027-03-01');
    expect(sameDayInYear(leapling, 2028, 'feb28')).toBe('2028-02-29');
    expect(sameDayInYear(leapling, 2028, 'mar1')).toBe('2028-02-29');
    expect(sameDayInYear(leapling, 2100, 'feb28')).toBe('2100-02-28'); // 2100 is not a leap year
  });

  it('solarBirthdaysOn is the exact inverse of sameDayInYear, for every birthday, both rules, a leap and a common year', () => {
    for (const rule of ['feb28', 'mar1'] as const) {
      for (const year of [2027, 2028]) {
        const forward = new Map<string, string[]>();
        for (let birthday = '2000-01-01'; birthday <= '2000-12-31'; birthday = addDays(birthday, 1)) {
          const date = sameDayInYear(parseIsoDate(birthday), year, rule);
          forward.set(date, [...(forward.get(date) ?? []), birthday.slice(5)]);
        }
        for (let date = isoDate(year, 1, 1); date <= isoDate(year, 12, 31); date = addDays(date, 1)) {
          const inverse = solarBirthdaysOn(date, rule).map(({ month, day }) => isoDate(2000, month, day).slice(5));
          expect([date, inverse.sort()]).toEqual([date, (forward.get(date) ?? []).sort()]);
        }
      }
    }
  });
});
