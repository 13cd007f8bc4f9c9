import { classifyHit, TrackingHit } from './bot-signals';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const sentAt = new Date('2027-01-01T10:00:00Z');
const hit = (overrides: Partial<TrackingHit>): TrackingHit => ({ kind: 'click', method: 'GET', userAgent: CHROME, sentAt, now: new Date('2027-01-01T10:05:00Z'), ...overrides });

describe('classifyHit', () => {
  it('counts a browser a few minutes after delivery as a person', () => {
    expect(classifyHit(hit({}))).toEqual({ bot: false });
  });

  it.each([
    ['GoogleImageProxy', 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)'],
    ['Outlook desktop', 'Mozilla/4.0 (compatible; ms-office; MSOffice 16)'],
    ['iPhone Mail', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'],
    ['a Cubot phone', 'Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36'],
  ])('counts an open through %s as a person', (_name, userAgent) => {
    expect(classifyHit(hit({ kind: 'open', userAgent }))).toEqual({ bot: false });
  });

  it.each([
    [{ method: 'HEAD' }, 'head_request'],
    [{ userAgent: undefined }, 'no_user_agent'],
    [{ userAgent: '  ' }, 'no_user_agent'],
    [{ userAgent: 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b' }, 'user_agent:microsoft-link-preview'],
    [{ userAgent: 'Microsoft Office Existence Discovery' }, 'user_agent:microsoft-office-discovery'],
    [{ userAgent: 'Mozilla/5.0 Proofpoint URL Defense' }, 'user_agent:proofpoint'],
    [{ userAgent: 'Mimecast-URL-Protect/1.0' }, 'user_agent:mimecast'],
    [{ userAgent: 'Barracuda Sentinel (EE)' }, 'user_agent:barracuda'],
    [{ userAgent: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' }, 'user_agent:link-preview'],
    [{ userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }, 'user_agent:crawler'],
    [{ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36' }, 'user_agent:headless-browser'],
    [{ userAgent: 'python-requests/2.31.0' }, 'user_agent:http-library'],
    [{ userAgent: 'curl/8.5.0' }, 'user_agent:http-library'],
    [{ sentAt: null }, 'before_delivery'],
    [{ now: new Date(sentAt.getTime() + 1_500) }, 'too_soon_after_delivery'],
  ])('marks %j as a machine (%s)', (overrides, reason) => {
    expect(classifyHit(hit(overrides as Partial<TrackingHit>))).toEqual({ bot: true, reason });
  });
});
