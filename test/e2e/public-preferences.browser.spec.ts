import { simpleParser } from 'mailparser';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import { contactInput } from '../factories/contact.factory';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, TestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts');
/** The public host the e-mail's links name; Chromium resolves it to the test app's loopback port. */
const PUBLIC_HOST = 'care.tidings.test';
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;

/**
 * Issue 7's acceptance for the preference centre, as a customer meets it: a real e-mail from a
 * campaign, caught by the loopback SMTP server; its preference link opened in headless Chromium on
 * a phone-sized screen; the known answer (coffee) shown as an answer and only the unknown questions
 * asked; drink changed to tea and saved; the memory timeline showing the new answer from the web
 * form; the link opened again showing tea. Screenshots land in test-artifacts/.
 */
describeWithChromium('preference centre in a browser', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    sink = await SmtpSink.start();
    t = await createTestApp({
      SMTP_URL: sink.url,
      PUBLIC_BASE_URL: `http://${PUBLIC_HOST}`,
      OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-preferences-browser-')),
    });
    const port = new URL(t.baseUrl).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-first-run',
        // The link exactly as mailed, reaching this test's server: the public host maps to the loopback port.
        `--host-resolver-rules=MAP ${PUBLIC_HOST} 127.0.0.1:${port}`,
        '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t.close();
    await sink.close();
    for (const name of ['SMTP_URL', 'PUBLIC_BASE_URL', 'OUTBOX_DIR']) delete process.env[name];
  });

  /** A guest who told the desk "coffee" and agreed to e-mail; the newspaper was never asked. */
  async function guest(tag: string): Promise<string> {
    const { body } = await t.http
      .post('/contacts')
      .set(t.auth('marketer'))
      .send(contactInput({ givenName: 'Grace', familyName: 'Hopper', formOfAddress: null, locale: 'en', timeZone: 'UTC', tags: [tag], consent: { email: { granted: true, source: 'front desk' } } }))
      .expect(201);
    await t.http
      .post(`/contacts/${body.id}/preferences`)
      .set(t.auth('marketer'))
      .send({ preferences: [{ key: 'drink', value: 'coffee', source: 'customer_told_staff' }] })
      .expect(201);
    return body.id;
  }

  /** Sends the welcome e-mail through a real campaign and returns the preference link the message carries. */
  async function mailedPreferenceLink(tag: string): Promise<string> {
    const before = sink.messages.length;
    const { body: campaign } = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: `welcome ${tag}`, kind: 'broadcast', templateKey: 'welcome', channels: ['email'], audience: { field: 'tags', op: 'has', value: tag }, guardPolicy: { quietHours: '00:00-00:00' } })
      .expect(201);
    await t.http.post(`/campaigns/${campaign.id}/start`).set(t.auth('marketer')).expect(200);
    const worker = t.app.get(DeliveryWorker);
    while ((await worker.runOnce({ campaignIds: [campaign.id] })).claimed > 0);
    expect(sink.messages.length).toBe(before + 1);
    const mail = await simpleParser(sink.messages[before].raw);
    const link = /href="([^"]+\/preferences\/[^"]+)"/.exec(String(mail.html))?.[1];
    if (!link) throw new Error('the e-mail carries no preference link');
    return link.replace(/&amp;/g, '&');
  }

  it('follows the e-mailed link, asks only what is unknown, saves tea from the web form, and shows it again', async () => {
    const tag = `prefs-${randomBytes(3).toString('hex')}`;
    const contactId = await guest(tag);
    const link = await mailedPreferenceLink(tag);
    expect(link.startsWith(`http://${PUBLIC_HOST}/preferences/`)).toBe(true);

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, locale: 'en-GB' });
    const page = await context.newPage();
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    await page.screenshot({ path: join(ARTIFACTS, 'preferences-1-opened.png'), fullPage: true });

    // Known: the drink is shown as the answer, pre-filled, behind "Change" — not asked as if new.
    const drink = page.locator('#q-pref-drink');
    await expect(drink.locator('.answer').textContent()).resolves.toBe('coffee');
    expect(await page.locator('#pref-drink-coffee').isChecked()).toBe(true);
    expect(await page.locator('#pref-drink-tea').isVisible()).toBe(false);
    // Unknown: the newspaper is a question with nothing chosen.
    const newspaper = page.locator('#q-pref-newspaper');
    expect(await newspaper.locator('.answer').count()).toBe(0);
    expect(await newspaper.locator('input:checked').count()).toBe(0);
    expect(await page.locator('#pref-newspaper-wall-street-journal').isVisible()).toBe(true);
    // Everything the page asks has a label the browser ties to it.
    expect(await page.getByLabel('Wall Street Journal').count()).toBe(1);
    // The page fits a phone: nothing wider than the screen.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);

    // Change the drink from the keyboard: "Change" is focusable, shows where the focus is, and opens.
    await drink.locator('summary').focus();
    expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.press('Enter');
    await page.getByLabel('tea', { exact: true }).check();
    await page.screenshot({ path: join(ARTIFACTS, 'preferences-2-changed.png'), fullPage: true });
    await page.getByRole('button', { name: 'Save my preferences' }).click();
    await page.waitForSelector('.notice[role="status"]');
    const notice = await page.locator('.notice[role="status"]').innerText();
    expect(notice).toContain('Saved');
    expect(notice).toContain('What would you like to drink? tea');
    // Only what changed is saved and confirmed; the pre-filled answers were left as they were.
    expect(notice.split('\n').filter((line) => line.includes('?'))).toEqual(['What would you like to drink? tea']);
    await page.screenshot({ path: join(ARTIFACTS, 'preferences-3-saved.png'), fullPage: true });

    // The memory timeline has the new answer, from the web form, and keeps the old one.
    const memory = await t.http.get(`/contacts/${contactId}/memory`).set(t.auth('viewer')).expect(200);
    expect(memory.body.preferences.values.drink).toBe('tea');
    expect(memory.body.preferences.statements.drink).toMatchObject({ source: 'web_form' });
    expect(memory.body.preferences.history.drink.map((s: { value: string; source: string }) => [s.value, s.source])).toEqual([
      ['coffee', 'customer_told_staff'],
      ['tea', 'web_form'],
    ]);

    // Reopening the link shows tea as the answer.
    await page.goto(link);
    await expect(page.locator('#q-pref-drink .answer').textContent()).resolves.toBe('tea');
    expect(await page.locator('#pref-drink-tea').isChecked()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'preferences-4-reopened.png'), fullPage: true });
    await context.close();
  }, 120_000);

  it('still serves the API documentation UI under the security headers', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    await page.goto(`${t.baseUrl}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Tidings');
    expect(refused).toEqual([]);
    await context.close();
  }, 60_000);
});
