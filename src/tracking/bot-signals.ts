/**
 * Which opens and clicks were not a person. Mail security gateways fetch every link of a message the
 * moment it arrives, link-preview services fetch what is pasted into a chat, and some clients ask
 * for headers only; counted as customers, they would make every campaign look read and every link
 * clicked. Such hits are still recorded (marked `bot` with the reason), never counted as human.
 *
 * Deliberately NOT listed (they fetch on a person's behalf, when the person opens the message):
 * - GoogleImageProxy (Gmail) and YahooMailProxy: the proxy loads images when the recipient opens
 *   the message, so the open is real; it caches the image, so repeat opens are under-counted.
 * - Outlook's own image fetches ("ms-office; MSOffice 16", "Microsoft Outlook"): a person reading.
 * - Apple Mail Privacy Protection: it preloads through Apple's proxies with an ordinary browser
 *   user agent, so it cannot be told apart here; opens from Apple Mail are over-counted.
 */

export type TrackingHitKind = 'open' | 'click';

export interface TrackingHit {
  kind: TrackingHitKind;
  /** The HTTP method: HEAD asks whether a link works without following it. */
  method: string;
  userAgent: string | undefined;
  /** When the provider accepted the message; null while it is still being handed over. */
  sentAt: Date | null;
  now: Date;
}

export type BotVerdict = { bot: false } | { bot: true; reason: string };

/**
 * A person cannot receive a message, open it and click within this time; a gateway that scans
 * links on delivery does (Microsoft Defender Safe Links, Proofpoint, Mimecast all scan on arrival).
 */
export const TOO_SOON_AFTER_DELIVERY_MS = 2_000;

interface KnownAgent {
  name: string;
  pattern: RegExp;
  why: string;
}

/** User agents of machines, with why each is here. Matched case-insensitively anywhere in the header. */
export const KNOWN_MACHINE_AGENTS: readonly KnownAgent[] = [
  { name: 'microsoft-link-preview', pattern: /BingPreview/i, why: 'Microsoft Safe Links / Outlook.com pre-fetch links with Bing’s preview crawler' },
  { name: 'microsoft-office-discovery', pattern: /Microsoft Office (Existence|Protocol) Discovery/i, why: 'Office apps probe a link before opening it; the person’s browser follows separately' },
  { name: 'microsoft-defender', pattern: /Microsoft ?Defender|SafeLinks/i, why: 'Microsoft Defender for Office 365 detonates links on delivery' },
  { name: 'proofpoint', pattern: /Proofpoint/i, why: 'Proofpoint URL Defense rewrites and scans every link on delivery' },
  { name: 'mimecast', pattern: /Mimecast/i, why: 'Mimecast URL Protect scans links on delivery and on click' },
  { name: 'barracuda', pattern: /Barracuda/i, why: 'Barracuda Link Protection / Sentinel scans links' },
  { name: 'symantec', pattern: /Symantec|MessageLabs/i, why: 'Symantec (Broadcom) Email Security.cloud link scanning' },
  { name: 'cisco', pattern: /IronPort/i, why: 'Cisco Secure Email (IronPort) URL filtering' },
  { name: 'trend-micro', pattern: /Trend ?Micro/i, why: 'Trend Micro Email Security link scanning' },
  { name: 'security-gateway', pattern: /Forcepoint|Websense|FireEye|Sophos|Zscaler|Fortinet|FortiGuard|Check ?Point/i, why: 'other secure e-mail gateways that fetch links to scan them' },
  {
    name: 'link-preview',
    pattern: /Slackbot|facebookexternalhit|Twitterbot|LinkedInBot|WhatsApp|TelegramBot|Discordbot|SkypeUriPreview|Iframely|Embedly/i,
    why: 'chat and social apps fetch a pasted link to draw its preview card',
  },
  { name: 'crawler', pattern: /(google|bing|yandex|baidu|duckduck|apple|petal|semrush|ahrefs|mj12)bot|\b(bot|crawler|spider|scanner)\b/i, why: 'self-declared crawlers and bots' },
  { name: 'headless-browser', pattern: /HeadlessChrome|PhantomJS|Puppeteer|Playwright|Selenium/i, why: 'automated browsers, as sandboxes use to detonate links' },
  {
    name: 'http-library',
    pattern: /^(curl|Wget|python-requests|Python-urllib|aiohttp|Go-http-client|Java|Apache-HttpClient|okhttp|libwww-perl|axios|node-fetch|undici|got)\b/i,
    why: 'programming libraries, not mail clients or browsers',
  },
];

/** Whether this hit was a machine, and why. A person's hit is the default only when nothing says otherwise. */
export function classifyHit(hit: TrackingHit): BotVerdict {
  if (hit.method.toUpperCase() === 'HEAD') return { bot: true, reason: 'head_request' };
  const agent = hit.userAgent?.trim();
  // Every mail client and browser sends one; a bare request is a script.
  if (!agent) return { bot: true, reason: 'no_user_agent' };
  const known = KNOWN_MACHINE_AGENTS.find((candidate) => candidate.pattern.test(agent));
  if (known) return { bot: true, reason: `user_agent:${known.name}` };
  if (hit.sentAt === null) return { bot: true, reason: 'before_delivery' };
  if (hit.now.getTime() - hit.sentAt.getTime() < TOO_SOON_AFTER_DELIVERY_MS) return { bot: true, reason: 'too_soon_after_delivery' };
  return { bot: false };
}
