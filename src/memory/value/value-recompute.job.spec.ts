import { nextDailyRun } from './value-recompute.job';

describe('daily base run time', () => {
  it('is the next 03:00 UTC strictly after the given time', () => {
    expect(nextDailyRun(new Date('2026-03-10T01:00:00Z')).toISOString()).toBe('2026-03-10T03:00:00.000Z');
    expect(nextDailyRun(new Date('2026-03-10T03:00:00Z')).toISOString()).toBe('2026-03-11T03:00:00.000Z');
    expect(nextDailyRun(new Date('2026-12-31T22:30:00Z')).toISOString()).toBe('2027-01-01T03:00:00.000Z');
  });
});
