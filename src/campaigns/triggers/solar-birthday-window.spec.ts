import fc from 'fast-check';
import type { Feb29Rule, IsoDate } from '../calendar/calendar.types';
import { occurrencesBetween } from '../calendar/occurrences';
import { candidateDates, SolarBirthdayWindow } from './solar-birthday-window';

// The extremes of the offset range, half- and quarter-hour zones, and zones that change their clocks.
const ZONES = ['Pacific/Kiritimati', 'Etc/GMT+12', 'Pacific/Auckland', 'America/Los_Angeles', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Etc/UTC', 'Not/AZone', null];

const pad = (n: number) => String(n).padStart(2, '0');

describe('solar birthday window', () => {
  it('needs three local dates for one UTC day at 09:00, not seven', () => {
    expect(candidateDates(new Date('2027-06-15T00:00:00Z'), new Date('2027-06-16T00:00:00Z'), '09:00')).toEqual(['2027-06-14', '2027-06-15', '2027-06-16']);
  });

  it('rules out a birthday only when the care calendar finds no greeting for it in the window', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('2010-12-31T00:00:00Z'), noInvalidDate: true }),
          fc.constantFrom(new Date('1988-02-29T00:00:00Z'), new Date('2000-02-29T00:00:00Z'), new Date('1990-12-31T00:00:00Z'), new Date('1990-01-01T00:00:00Z')),
        ),
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2029-01-01T00:00:00Z') }),
        fc.integer({ min: 1, max: 3 * 86_400_000 }),
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(0, 15, 30, 45),
        fc.constantFrom<Feb29Rule>('feb28', 'mar1'),
        (birth, zone, fromMs, length, hour, minute, feb29) => {
          const birthday = birth.toISOString().slice(0, 10) as IsoDate;
          const from = new Date(fromMs);
          const to = new Date(fromMs + length);
          const localTime = `${pad(hour)}:${pad(minute)}`;
          const window = new SolarBirthdayWindow(candidateDates(from, to, localTime), feb29, from, to, localTime, 'Europe/Berlin');
          const found = occurrencesBetween({ kind: 'birthday', person: { birthday, timeZone: zone } }, from, to, { localTime, feb29, defaultTimeZone: 'Europe/Berlin' });
          if (found.length > 0) expect(window.mayFall(birthday, zone)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('finds the contacts whose 09:00 falls in the window, whichever side of UTC they live on', () => {
    const from = new Date('2027-06-15T00:00:00Z');
    const to = new Date('2027-06-16T00:00:00Z');
    const window = new SolarBirthdayWindow(candidateDates(from, to, '09:00'), 'feb28', from, to, '09:00', 'UTC');
    expect(window.mayFall('1980-06-16', 'Pacific/Kiritimati')).toBe(true); // 09:00 on 16 June at UTC+14 is 15 June 19:00 UTC
    expect(window.mayFall('1980-06-16', 'Europe/Berlin')).toBe(false);
    expect(window.mayFall('1980-06-15', 'Etc/GMT+12')).toBe(true); // 09:00 on 15 June at UTC−12 is 15 June 21:00 UTC
    expect(window.mayFall('1980-06-16', 'Etc/GMT+12')).toBe(false);
    expect(window.mayFall('1980-06-14', 'America/Los_Angeles')).toBe(false);
  });
});
