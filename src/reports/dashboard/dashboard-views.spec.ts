import { scriptSafeJson } from './dashboard-pages.service';
import { continuousBuckets, monthsOfWindow } from './dashboard-views';

const bucket = (label: string, sent: number) => ({ bucket: label, sent, opened: 0, clicked: 0 });

describe('dashboard views', () => {
  it('fills the hours between two sends with zeros, so the line is spaced by time', () => {
    const filled = continuousBuckets([bucket('2027-03-01T22:00', 2), bucket('2027-03-02T01:00', 1)], 'hour', 'Asia/Shanghai');
    expect(filled.map((b) => [b.bucket, b.sent])).toEqual([
      ['2027-03-01T22:00', 2],
      ['2027-03-01T23:00', 0],
      ['2027-03-02T00:00', 0],
      ['2027-03-02T01:00', 1],
    ]);
  });

  it('follows the local clock over daylight-saving changes: no 02:00 in spring, one 01:00 in autumn', () => {
    const spring = continuousBuckets([bucket('2027-03-14T00:00', 1), bucket('2027-03-14T04:00', 1)], 'hour', 'America/Los_Angeles');
    expect(spring.map((b) => b.bucket)).toEqual(['2027-03-14T00:00', '2027-03-14T01:00', '2027-03-14T03:00', '2027-03-14T04:00']);
    const autumn = continuousBuckets([bucket('2027-11-07T00:00', 1), bucket('2027-11-07T03:00', 1)], 'hour', 'America/Los_Angeles');
    expect(autumn.map((b) => b.bucket)).toEqual(['2027-11-07T00:00', '2027-11-07T01:00', '2027-11-07T02:00', '2027-11-07T03:00']);
    const days = continuousBuckets([bucket('2027-03-13T00:00', 1), bucket('2027-03-15T00:00', 1)], 'day', 'America/Los_Angeles');
    expect(days.map((b) => [b.bucket, b.sent])).toEqual([['2027-03-13T00:00', 1], ['2027-03-14T00:00', 0], ['2027-03-15T00:00', 1]]);
  });

  it('leaves a span too long to fill as the report gave it', () => {
    const year = [bucket('2027-01-01T00:00', 1), bucket('2027-12-31T23:00', 1)];
    expect(continuousBuckets(year, 'hour', 'UTC')).toEqual(year);
  });

  it("lists the window's months in the report's zone, the month of `until` itself excluded when it starts there", () => {
    // 1 March 00:00 UTC is still 28 February in Los Angeles.
    expect(monthsOfWindow(2, new Date('2027-03-01T00:00:00Z'), 'America/Los_Angeles')).toEqual(['2027-01', '2027-02']);
    expect(monthsOfWindow(3, new Date('2027-03-10T00:00:00Z'), 'UTC')).toEqual(['2027-01', '2027-02', '2027-03']);
  });

  it('writes chart data that cannot close its <script> element, and reads back the same', () => {
    const config = { data: { labels: ['email / </script><script>alert(1)</script>', 'a & b', 'line\u2028break'] } };
    const json = scriptSafeJson(config);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(config);
  });
});
