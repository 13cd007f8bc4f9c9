import { agesOn } from './recipient-age';

describe('agesOn', () => {
  const at = (iso: string) => new Date(iso);

  it('counts the candles of the coming birthday before it and of the day itself on it', () => {
    expect(agesOn('1980-05-17', at('2025-05-10T12:00:00Z'), 'UTC')).toEqual({ age: 44, newAge: 45 });
    expect(agesOn('1980-05-17', at('2025-05-17T12:00:00Z'), 'UTC')).toEqual({ age: 45, newAge: 45 });
    expect(agesOn('1980-05-17', at('2025-05-18T12:00:00Z'), 'UTC')).toEqual({ age: 45, newAge: 46 });
  });

  it("uses the calendar day in the person's own time zone", () => {
    // 16 May 20:00 UTC is already the 17th in Shanghai.
    expect(agesOn('1980-05-17', at('2025-05-16T20:00:00Z'), 'Asia/Shanghai')).toEqual({ age: 45, newAge: 45 });
    expect(agesOn('1980-05-17', at('2025-05-16T20:00:00Z'), 'America/New_York')).toEqual({ age: 44, newAge: 45 });
  });

  it('treats a leap-day birthday as passed from 1 March in common years', () => {
    expect(agesOn('2000-02-29', at('2025-02-28T12:00:00Z'), null)).toEqual({ age: 24, newAge: 25 });
    expect(agesOn('2000-02-29', at('2025-03-01T12:00:00Z'), null)).toEqual({ age: 25, newAge: 26 });
  });

  it('has no age without a birthday or before birth', () => {
    expect(agesOn(null, new Date(), null)).toBeNull();
    expect(agesOn('2030-01-01', at('2025-01-01T00:00:00Z'), null)).toBeNull();
  });
});
