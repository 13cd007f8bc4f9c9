import { nextAllowedInstant, parseQuietHours, QuietWindow, zoneOrUtc } from './quiet-hours';

const NIGHT: QuietWindow = { start: 21 * 60, end: 8 * 60 };
const at = (iso: string) => new Date(iso);
const next = (nowIso: string, window: QuietWindow, zone: string) => nextAllowedInstant(at(nowIso), window, zoneOrUtc(zone)).toISOString();

describe('quiet hours', () => {
  it('parses HH:MM-HH:MM and rejects anything else', () => {
    expect(parseQuietHours('21:00-08:00')).toEqual(NIGHT);
    expect(parseQuietHours(' 12:30-14:00 ')).toEqual({ start: 750, end: 840 });
    for (const bad of ['24:00-08:00', '9:00-08:00', '21:00 - 08:00', '', null, 2100]) expect(parseQuietHours(bad)).toBeNull();
  });

  it('lets a message through outside the window, at the very end of it, and never with an empty window', () => {
    expect(next('2027-05-17T04:00:00Z', NIGHT, 'Asia/Shanghai')).toBe('2027-05-17T04:00:00.000Z'); // 12:00
    expect(next('2027-05-17T00:00:00Z', NIGHT, 'Asia/Shanghai')).toBe('2027-05-17T00:00:00.000Z'); // 08:00 sharp
    expect(next('2027-05-17T12:59:59Z', NIGHT, 'Asia/Shanghai')).toBe('2027-05-17T12:59:59.000Z'); // 20:59:59
    expect(next('2027-05-17T15:00:00Z', { start: 600, end: 600 }, 'Asia/Shanghai')).toBe('2027-05-17T15:00:00.000Z');
  });

  it('defers across midnight in Shanghai: evening to the next morning, small hours to the same morning', () => {
    expect(next('2027-05-17T13:00:00Z', NIGHT, 'Asia/Shanghai')).toBe('2027-05-18T00:00:00.000Z'); // 21:00 → 08:00 next day
    expect(next('2027-05-17T15:30:00Z', NIGHT, 'Asia/Shanghai')).toBe('2027-05-18T00:00:00.000Z'); // 23:30
    expect(next('2027-05-17T19:00:00Z', NIGHT, 'Asia/Shanghai')).toBe('2027-05-18T00:00:00.000Z'); // 03:00 the next day
  });

  it('handles a window inside one day and the last day of a year', () => {
    expect(next('2027-05-17T04:30:00Z', { start: 12 * 60, end: 14 * 60 }, 'Asia/Shanghai')).toBe('2027-05-17T06:00:00.000Z');
    expect(next('2027-12-31T14:00:00Z', NIGHT, 'Asia/Shanghai')).toBe('2028-01-01T00:00:00.000Z');
  });

  it('uses wall-clock time in Los Angeles on the spring-forward day (the night is an hour shorter)', () => {
    // 2027-03-14 02:00 PST becomes 03:00 PDT. 23:00 PST on the 13th → 08:00 PDT = 15:00Z, not 16:00Z.
    expect(next('2027-03-14T07:00:00Z', NIGHT, 'America/Los_Angeles')).toBe('2027-03-14T15:00:00.000Z');
    // A window ending at 02:30, a time that does not exist that night: allowed from the jump, 03:00 PDT.
    expect(next('2027-03-14T08:00:00Z', { start: 22 * 60, end: 150 }, 'America/Los_Angeles')).toBe('2027-03-14T10:00:00.000Z');
  });

  it('uses wall-clock time in Los Angeles on the fall-back day (the night is an hour longer)', () => {
    // 2027-11-07 02:00 PDT becomes 01:00 PST. 22:00 PDT on the 6th → 08:00 PST = 16:00Z.
    expect(next('2027-11-07T05:00:00Z', NIGHT, 'America/Los_Angeles')).toBe('2027-11-07T16:00:00.000Z');
    // A window ending at 01:30, which happens twice: the first one (PDT) when still before it...
    expect(next('2027-11-07T07:10:00Z', { start: 0, end: 90 }, 'America/Los_Angeles')).toBe('2027-11-07T08:30:00.000Z');
    // ...and the second one (PST) when the repeated hour brought the clock back into the window.
    expect(next('2027-11-07T09:10:00Z', { start: 0, end: 90 }, 'America/Los_Angeles')).toBe('2027-11-07T09:30:00.000Z');
  });

  it('falls back to UTC for an unknown or missing zone', () => {
    expect(zoneOrUtc(null).name).toBe('UTC');
    expect(zoneOrUtc('Asia/Atlantis').name).toBe('UTC');
    expect(next('2027-05-17T22:00:00Z', NIGHT, 'Asia/Atlantis')).toBe('2027-05-18T08:00:00.000Z');
  });
});
