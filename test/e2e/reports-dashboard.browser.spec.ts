import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { SignedTokens } from '../../src/common/signed-tokens';
import { buildReportCampaign, ReportCampaign } from '../fixtures/report-campaign';
import { createTestApp, TestApp } from '../support/test-app';
import { isolatedDatabase } from '../support/test-database';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts');
/** The host dashboard links name; Chromium resolves it to the test app's loopback port. */
const REPORTS_HOST = 'reports.tidings.test';
/** Another site the link is clicked on (a web mail or a chat), served by the test itself. */
const MAIL_HOST = 'mail.example.test';
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;

/** One chart as the live Chart.js instance holds it, and how much of its canvas is painted in its first series' colour. */
interface DrawnChart {
  type: string;
  labels: string[];
  datasets: Array<{ label: string; data: number[] }>;
  seriesPixels: number;
  canvasPixels: number;
}

type TableRows = Array<{ label: string; cells: string[] }>;

/** In the page: every chart canvas has its Chart.js instance. */
const ALL_CHARTS_DRAWN = `(() => {
  const canvases = [...document.querySelectorAll('canvas[data-chart]')];
  return canvases.length > 0 && typeof Chart !== 'undefined' && canvases.every((c) => Chart.getChart(c) !== undefined);
})()`;

/**
 * In the page: each chart's type, labels and series from its live Chart.js instance, and how many
 * canvas pixels show the first series' colour (bars or a line were drawn, not only the axes).
 */
const READ_CHARTS = `(() => {
  const out = {};
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const chart = Chart.getChart(canvas);
    const hex = chart.data.datasets[0].borderColor;
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let seriesPixels = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] > 200 && Math.abs(pixels[i] - r) < 8 && Math.abs(pixels[i + 1] - g) < 8 && Math.abs(pixels[i + 2] - b) < 8) seriesPixels++;
    }
    out[canvas.dataset.chart] = {
      type: chart.config.type,
      labels: [...chart.data.labels],
      datasets: chart.data.datasets.map((d) => ({ label: d.label, data: [...d.data] })),
      seriesPixels,
      canvasPixels: canvas.width * canvas.height,
    };
  }
  return out;
})()`;

/**
 * Issue 8's dashboard as a member of staff meets it: a viewer key asks the API for a dashboard link,
 * the link is clicked on another site, and headless Chromium shows the campaign list, the campaign's
 * charts and the customer-value charts. The test reads each chart's data back from the live Chart.js
 * instance and compares it with the campaign's known outcomes (test/fixtures/report-campaign.ts), checks
 * the canvas was painted in the series' colour, and that the tables beside the charts hold the same
 * numbers. Screenshots land in test-artifacts/.
 */
describeWithChromium('reports dashboard in a browser', () => {
  let t: TestApp;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let browser: Browser;
  let report: ReportCampaign;
  let otherCampaignId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // A database of its own: the value page counts the whole customer base.
    database = await isolatedDatabase('dashboard');
    t = await createTestApp({ DATABASE_URL: database.url, PUBLIC_BASE_URL: `http://${REPORTS_HOST}` });
    report = await buildReportCampaign(t, 'Spring report');
    const other = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: 'Autumn letters', kind: 'broadcast', templateKey: 'birthday', channels: ['email'], audience: { field: 'tags', op: 'has', value: 'nobody' } })
      .expect(201);
    otherCampaignId = other.body.id;
    await customerValue();
    const port = new URL(t.baseUrl).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-first-run',
        `--host-resolver-rules=MAP ${REPORTS_HOST} 127.0.0.1:${port}`,
        '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await database?.drop();
    delete process.env.PUBLIC_BASE_URL;
  });

  /** Four classed customers and their moves, one and two months back (in UTC, the value page's default zone). */
  const monthsBack = (n: number) => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 15));
  };
  const monthLabel = (d: Date) => d.toISOString().slice(0, 7);
  async function customerValue(): Promise<void> {
    const p = report.people;
    const classes: Array<[string, string, string, string, number]> = [
      [p.ann, 'A', 'loyal', 'heavy', 5000],
      [p.bob, 'A', 'regular', 'light', 3000],
      [p.cat, 'B', 'new', 'light', 400],
      [p.dan, 'C', 'new', 'medium', 100],
    ];
    for (const row of classes) {
      await t.db.query(`INSERT INTO contact_value (contact_id, abc_class, loyalty_stage, frequency_class, lifetime_value) VALUES ($1, $2, $3, $4, $5)`, row);
    }
    const signals: Array<[string, string, string, string, Date]> = [
      [p.bob, 'frequency_class', 'heavy', 'light', monthsBack(2)],
      [p.cat, 'frequency_class', 'heavy', 'light', monthsBack(1)],
      [p.eve, 'frequency_class', 'heavy', 'light', monthsBack(1)],
      [p.ann, 'abc_class', 'B', 'A', monthsBack(1)],
      [p.cat, 'abc_class', 'A', 'B', monthsBack(1)],
      [p.ann, 'loyalty_stage', 'regular', 'loyal', monthsBack(2)],
    ];
    for (const row of signals) {
      await t.db.query(`INSERT INTO value_signals (contact_id, dimension, from_value, to_value, detected_at) VALUES ($1, $2, $3, $4, $5)`, row);
    }
  }

  async function createKey(name: string, campaignIds?: string[]): Promise<{ id: string; key: string }> {
    const { body } = await t.http.post('/api-keys').set(t.auth('admin')).send({ name, role: 'viewer', ...(campaignIds ? { campaignIds } : {}) }).expect(201);
    return { id: body.apiKey.id, key: body.key };
  }

  async function dashboardLink(key: string): Promise<{ url: string; expiresAt: string }> {
    const { body } = await t.http.post('/reports/dashboard-links').set({ Authorization: `Bearer ${key}` }).expect(201);
    return body;
  }

  /** A browser with the link opened as typed into the address bar; returns the page on /dashboard. */
  async function openDashboard(key: string): Promise<{ context: BrowserContext; page: Page }> {
    const { url } = await dashboardLink(key);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForURL(`http://${REPORTS_HOST}/dashboard`);
    return { context, page };
  }

  /** Every chart on the page, read from Chart.js once each has been drawn. */
  async function drawnCharts(page: Page): Promise<Record<string, DrawnChart>> {
    await page.waitForFunction(ALL_CHARTS_DRAWN);
    return page.evaluate<Record<string, DrawnChart>>(READ_CHARTS);
  }

  async function tableRows(page: Page, id: string): Promise<TableRows> {
    const rows = page.locator(`#table-${id} tbody tr`);
    const out: TableRows = [];
    for (let i = 0; i < (await rows.count()); i++) {
      const row = rows.nth(i);
      out.push({ label: (await row.locator('th').innerText()).trim(), cells: (await row.locator('td').allInnerTexts()).map((c) => c.trim()) });
    }
    return out;
  }

  /** The chart's series as table rows: one row per label, one cell per series. */
  const asRows = (chart: DrawnChart): TableRows => chart.labels.map((label, i) => ({ label, cells: chart.datasets.map((d) => String(d.data[i])) }));

  it('opens from a link clicked on another site and draws the campaign funnel, timeline and skip reasons with its numbers', async () => {
    const viewer = await createKey('dashboard viewer');
    const link = await dashboardLink(viewer.key);
    expect(link.url).toMatch(new RegExp(`^http://${REPORTS_HOST.replace(/\./g, '\\.')}/dashboard/enter/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{22}$`));
    const linkLifetime = new Date(link.expiresAt).getTime() - Date.now();
    expect(linkLifetime).toBeGreaterThan(9 * 60_000);
    expect(linkLifetime).toBeLessThanOrEqual(10 * 60_000);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'en-GB' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      // helmet's Cross-Origin-Opener-Policy is ignored (with this notice) on a plain-http test host.
      if (message.type() === 'error' && !message.text().startsWith('The Cross-Origin-Opener-Policy header has been ignored')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    // The link as a person meets it: in a message on another site. The SameSite=Strict session must
    // still arrive at /dashboard after the cross-site click.
    await page.route(`http://${MAIL_HOST}/**`, (route) =>
      route.fulfill({ contentType: 'text/html', body: `<!doctype html><title>Mail</title><p><a id="open" href="${link.url}">Open the dashboard</a></p>` }),
    );
    await page.goto(`http://${MAIL_HOST}/inbox`);
    await page.click('#open');
    await page.waitForURL(`http://${REPORTS_HOST}/dashboard`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Campaigns');

    const [session] = (await context.cookies()).filter((c) => c.name === 'tidings_dashboard');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/dashboard', secure: false });
    expect(session.expires * 1000 - Date.now()).toBeGreaterThan(7.9 * 3600_000);
    expect(session.expires * 1000 - Date.now()).toBeLessThanOrEqual(8 * 3600_000);

    // The list: both campaigns, with the numbers of the outbox.
    const row = page.locator(`tr[data-campaign="${report.campaignId}"]`);
    await expect(row.locator('td').allTextContents()).resolves.toEqual(['broadcast', 'draft', expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), '14', '4', '7', '2', '1']);
    expect(await page.locator(`tr[data-campaign="${otherCampaignId}"]`).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-1-campaigns.png'), fullPage: true });

    // The campaign, its timeline by the hour in Shanghai, chosen with the page's own selectors.
    await row.getByRole('link', { name: 'Spring report' }).click();
    await page.waitForURL(`**/dashboard/campaigns/${report.campaignId}`);
    await page.getByLabel('Bucket').selectOption('hour');
    await page.getByLabel('Time zone').selectOption('Asia/Shanghai');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((u) => u.searchParams.get('bucket') === 'hour' && u.searchParams.get('timeZone') === 'Asia/Shanghai');
    let charts = await drawnCharts(page);

    // Funnel per channel and variant: recipients, sent, delivered, opened and clicked by people.
    expect(charts.funnel.type).toBe('bar');
    expect(charts.funnel.labels).toEqual(['(none) / (none)', 'email / (none)', 'email / a', 'email / b', 'sms / (none)', 'sms / default']);
    expect(charts.funnel.datasets).toEqual([
      { label: 'Recipients', data: [3, 4, 2, 2, 1, 2] },
      { label: 'Sent', data: [0, 0, 1, 2, 0, 1] },
      { label: 'Delivered', data: [0, 0, 1, 0, 0, 1] },
      { label: 'Opened', data: [0, 0, 1, 0, 0, 0] },
      { label: 'Clicked', data: [0, 0, 1, 0, 0, 0] },
    ]);

    // Every local hour in Shanghai from the first send (23:30 on 1 March) to the last (16:30 on 2 March).
    const hours = ['2027-03-01 23:00', ...Array.from({ length: 17 }, (_, h) => `2027-03-02 ${String(h).padStart(2, '0')}:00`)];
    const series = (at: Record<string, number>) => hours.map((label) => at[label] ?? 0);
    expect(charts.timeline.type).toBe('line');
    expect(charts.timeline.labels).toEqual(hours);
    expect(charts.timeline.datasets).toEqual([
      { label: 'Sent', data: series({ '2027-03-01 23:00': 1, '2027-03-02 00:00': 1, '2027-03-02 15:00': 1, '2027-03-02 16:00': 1 }) },
      // Ann's opens at 23:35 and 00:20 and her click at 00:21; the scanners' opens are not there.
      { label: 'Opened', data: series({ '2027-03-01 23:00': 1, '2027-03-02 00:00': 1 }) },
      { label: 'Clicked', data: series({ '2027-03-02 00:00': 1 }) },
    ]);

    // Each skip reason once, in the order of the bars.
    expect(charts['skip-reasons'].labels).toEqual(['duplicate_occasion', 'frequency_cap', 'known_answer', 'no_address', 'no_consented_channel', 'opted_out', 'unsubscribed']);
    expect(charts['skip-reasons'].datasets).toEqual([{ label: 'Skipped', data: [1, 1, 1, 1, 1, 1, 1] }]);

    // Painted: each canvas shows its first series' colour over a visible share of it.
    for (const [id, chart] of Object.entries(charts)) {
      expect({ id, painted: chart.seriesPixels > chart.canvasPixels / 500 }).toEqual({ id, painted: true });
    }

    // The tables say the same as the charts (the funnel's table has more columns: its first five
    // count columns are the chart's series in another order, checked by name).
    const funnelTable = await tableRows(page, 'funnel');
    const funnelHead = await page.locator('#table-funnel thead th').allTextContents();
    for (const dataset of charts.funnel.datasets) {
      const column = funnelHead.indexOf(dataset.label) - 1;
      expect(funnelTable.slice(0, -1).map((r) => Number(r.cells[column]))).toEqual(dataset.data);
    }
    expect(funnelTable.map((r) => r.label)).toEqual([...charts.funnel.labels, 'All']);
    expect(funnelTable[funnelTable.length - 1].cells.slice(0, 9)).toEqual(['14', '4', '2', '1', '1', '1', '7', '1', '0']);
    expect(await tableRows(page, 'timeline')).toEqual(asRows(charts.timeline));
    expect(await tableRows(page, 'skip-reasons')).toEqual(asRows(charts['skip-reasons']));
    expect(await tableRows(page, 'other-reasons')).toEqual([
        { label: 'Failed', cells: ['provider_permanent', '1'] },
      { label: 'Gave up', cells: ['attempts_exhausted', '1'] },
      { label: 'Deferred', cells: ['quiet_hours', '1'] },
    ]);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-2-campaign-shanghai-hours.png'), fullPage: true });

    // The same sends by the day in Los Angeles: three on 1 March, one after local midnight.
    await page.getByLabel('Bucket').selectOption('day');
    await page.getByLabel('Time zone').selectOption('America/Los_Angeles');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((u) => u.searchParams.get('bucket') === 'day' && u.searchParams.get('timeZone') === 'America/Los_Angeles');
    charts = await drawnCharts(page);
    expect(charts.timeline.labels).toEqual(['2027-03-01', '2027-03-02']);
    expect(charts.timeline.datasets).toEqual([
      { label: 'Sent', data: [3, 1] },
      { label: 'Opened', data: [2, 0] },
      { label: 'Clicked', data: [1, 0] },
    ]);
    expect(await tableRows(page, 'timeline')).toEqual(asRows(charts.timeline));
    await page.locator('#timeline').screenshot({ path: join(ARTIFACTS, 'dashboard-3-timeline-los-angeles-days.png') });

    // Nothing was refused by the Content Security Policy, and no script failed.
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('draws the customer-value overview: ABC classes and their moves, loyalty stages, heavy to light', async () => {
    const viewer = await createKey('value viewer');
    const { context, page } = await openDashboard(viewer.key);
    await page.getByRole('link', { name: 'Customer value' }).click();
    await page.waitForURL('**/dashboard/value');
    const charts = await drawnCharts(page);
    const months = [5, 4, 3, 2, 1, 0].map((n) => monthLabel(monthsBack(n)));

    expect(charts.abc.labels).toEqual(['A', 'B', 'C']);
    expect(charts.abc.datasets[0].data).toEqual([2, 1, 1]);
    expect(charts['abc-moves'].labels).toEqual(months);
    expect(charts['abc-moves'].datasets).toEqual([
      { label: 'A → B', data: months.map((m) => (m === monthLabel(monthsBack(1)) ? 1 : 0)) },
      { label: 'B → A', data: months.map((m) => (m === monthLabel(monthsBack(1)) ? 1 : 0)) },
    ]);
    expect(charts.loyalty.labels).toEqual(['potential', 'new', 'regular', 'long_standing', 'loyal']);
    expect(charts.loyalty.datasets[0].data).toEqual([0, 2, 1, 0, 1]);
    expect(charts['loyalty-moves'].datasets).toEqual([{ label: 'regular → loyal', data: months.map((m) => (m === monthLabel(monthsBack(2)) ? 1 : 0)) }]);
    expect(charts.frequency.datasets[0].data).toEqual([1, 1, 2, 0]);
    expect(charts['heavy-to-light'].labels).toEqual(months);
    expect(charts['heavy-to-light'].datasets[0].data).toEqual(months.map((m) => (m === monthLabel(monthsBack(1)) ? 2 : m === monthLabel(monthsBack(2)) ? 1 : 0)));
    for (const [id, chart] of Object.entries(charts)) {
      expect({ id, painted: chart.seriesPixels > chart.canvasPixels / 1000 }).toEqual({ id, painted: true });
    }
    expect(await tableRows(page, 'abc')).toEqual([
      { label: 'A', cells: ['2', '8000.00'] },
      { label: 'B', cells: ['1', '400.00'] },
      { label: 'C', cells: ['1', '100.00'] },
    ]);
    expect(await tableRows(page, 'heavy-to-light')).toEqual(asRows(charts['heavy-to-light']));
    expect(await tableRows(page, 'abc-moves')).toEqual(asRows(charts['abc-moves']));
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-4-value.png'), fullPage: true });

    // The same session in a Chinese browser: the page in Chinese, the same numbers.
    const chinese = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' });
    await chinese.addCookies(await context.cookies());
    const zhPage = await chinese.newPage();
    await zhPage.goto(`http://${REPORTS_HOST}/dashboard/value`);
    await expect(zhPage.locator('h1').textContent()).resolves.toBe('客户价值');
    expect(await zhPage.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect((await drawnCharts(zhPage)).abc.datasets).toEqual([{ label: '客户数', data: [2, 1, 1] }]);
    await zhPage.screenshot({ path: join(ARTIFACTS, 'dashboard-6-value-zh-CN.png'), fullPage: true });
    await chinese.close();
    await context.close();
  }, 120_000);

  it('opens no session for a tampered or expired link, and none without a link', async () => {
    const viewer = await createKey('tamper viewer');
    const { url } = await dashboardLink(viewer.key);
    const token = url.slice(url.lastIndexOf('/') + 1);
    // Change the signature's first character: the last one's spare bits would make some changes no change.
    const signatureAt = token.indexOf('.') + 1;
    const tampered = `${token.slice(0, signatureAt)}${token[signatureAt] === 'A' ? 'B' : 'A'}${token.slice(signatureAt + 1)}`;
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const refused = await page.goto(`http://${REPORTS_HOST}/dashboard/enter/${tampered}`);
    expect(refused?.status()).toBe(404);
    expect(await context.cookies()).toEqual([]);
    const home = await page.goto(`http://${REPORTS_HOST}/dashboard`);
    expect(home?.status()).toBe(401);
    await expect(page.locator('h1').textContent()).resolves.toBe('Please ask for a new link');
    expect(await page.locator('canvas, table').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-5-no-session.png'), fullPage: true });
    await context.close();

    // A link signed by us but expired: 410, and no cookie either.
    const expired = t.app.get(SignedTokens).sign({ purpose: 'dashboard-link', contactId: viewer.id, expiresAt: new Date(Date.now() - 1000) });
    const gone = await t.http.get(`/dashboard/enter/${expired}`).expect(410);
    expect(gone.headers['set-cookie']).toBeUndefined();
    // A token for another purpose (a session's) is no entry link.
    const session = t.app.get(SignedTokens).sign({ purpose: 'dashboard-session', contactId: viewer.id, expiresAt: new Date(Date.now() + 60_000) });
    expect((await t.http.get(`/dashboard/enter/${session}`).expect(404)).headers['set-cookie']).toBeUndefined();
    // Links are for keys: no bearer key, no link.
    await t.http.post('/reports/dashboard-links').expect(401);
  }, 60_000);

  it('answers bad input with a plain 4xx page, keeps script-src to our own origin, and marks the cookie Secure behind https', async () => {
    const viewer = await createKey('careful viewer');
    const { context, page } = await openDashboard(viewer.key);
    const statusOf = async (path: string) => (await page.goto(`http://${REPORTS_HOST}${path}`))?.status();
    expect(await statusOf('/dashboard/campaigns/not-a-campaign')).toBe(400);
    await expect(page.locator('h1').textContent()).resolves.toBe('The request could not be read');
    expect(await statusOf(`/dashboard/campaigns/${report.campaignId}?timeZone=Mars%2FOlympus`)).toBe(400);
    expect(await statusOf(`/dashboard/campaigns/${report.campaignId}?bucket=week`)).toBe(400);
    expect(await statusOf(`/dashboard/campaigns/${report.campaignId}?format=csv`)).toBe(400);
    expect(await statusOf('/dashboard/value?months=99')).toBe(400);
    expect(await statusOf('/dashboard/assets/package.json')).toBe(404);

    const response = await page.goto(`http://${REPORTS_HOST}/dashboard/campaigns/${report.campaignId}`);
    expect({ status: response?.status(), heading: await page.locator('h1').textContent() }).toEqual({ status: 200, heading: 'Spring report' });
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    // The chart library comes from us, cached for long under a URL that changes with its content.
    const chartScript = await page.locator('script[src*="chart.umd.js"]').getAttribute('src');
    expect(chartScript).toMatch(/^\/dashboard\/assets\/chart\.umd\.js\?v=[A-Za-z0-9_-]{16}$/);
    const asset = await t.http.get(chartScript!).expect(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    await context.close();

    // Behind a TLS-terminating proxy on this host, the session cookie is Secure.
    const { url } = await dashboardLink(viewer.key);
    const entered = await t.http.get(new URL(url).pathname).set('X-Forwarded-Proto', 'https').expect(200);
    const cookie = String(entered.headers['set-cookie']);
    expect(cookie).toMatch(/^tidings_dashboard=[^;]+; Path=\/dashboard; Expires=[^;]+; HttpOnly; Secure; SameSite=Strict$/);
  }, 60_000);

  it('ends a session when its key is revoked, and its unused links with it', async () => {
    const viewer = await createKey('revoked viewer');
    const { context, page } = await openDashboard(viewer.key);
    await expect(page.locator('h1').textContent()).resolves.toBe('Campaigns');
    const unused = await dashboardLink(viewer.key);
    await t.http.delete(`/api-keys/${viewer.id}`).set(t.auth('admin')).expect(200);

    const after = await page.reload();
    expect(after?.status()).toBe(401);
    await expect(page.locator('h1').textContent()).resolves.toBe('Please ask for a new link');
    expect(await page.locator('tr[data-campaign]').count()).toBe(0);
    // A link issued before the revocation opens nothing either.
    const cookieBefore = (await context.cookies()).find((c) => c.name === 'tidings_dashboard')?.value;
    expect((await page.goto(unused.url))?.status()).toBe(410);
    expect((await context.cookies()).find((c) => c.name === 'tidings_dashboard')?.value).toBe(cookieBefore);
    await context.close();
  }, 60_000);

  it("shows a campaign-scoped key only its campaigns: others are 404, the whole-base value page 403", async () => {
    const scoped = await createKey('scoped viewer', [report.campaignId]);
    const { context, page } = await openDashboard(scoped.key);
    expect(await page.locator('tr[data-campaign]').count()).toBe(1);
    expect(await page.locator('tr[data-campaign]').getAttribute('data-campaign')).toBe(report.campaignId);
    expect(await page.getByRole('link', { name: 'Customer value' }).count()).toBe(0);
    const own = await page.goto(`http://${REPORTS_HOST}/dashboard/campaigns/${report.campaignId}`);
    expect(own?.status()).toBe(200);
    expect((await drawnCharts(page)).funnel.datasets[0].data).toEqual([3, 4, 2, 2, 1, 2]);
    const other = await page.goto(`http://${REPORTS_HOST}/dashboard/campaigns/${otherCampaignId}`);
    expect(other?.status()).toBe(404);
    await expect(page.locator('h1').textContent()).resolves.toBe('Not found');
    expect(await page.content()).not.toContain('Autumn letters');
    const value = await page.goto(`http://${REPORTS_HOST}/dashboard/value`);
    expect(value?.status()).toBe(403);
    expect(await page.locator('canvas').count()).toBe(0);
    await context.close();
  }, 60_000);
});
