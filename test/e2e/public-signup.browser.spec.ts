import { simpleParser } from 'mailparser';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { SignupConfirmationMailer } from '../../src/public/signup/signup-confirmation.mailer';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, TestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts');
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;

/**
 * The sign-up form as a visitor meets it: embedded in an iframe on another site (localhost embeds
 * 127.0.0.1 — two different sites to the browser), filled in on a phone-sized screen in headless
 * Chromium, then the confirmation link from the real e-mail opened and confirmed. Screenshots of
 * each step land in test-artifacts/.
 */
describeWithChromium('sign-up form in a browser', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let browser: Browser;
  let host: Server;
  let hostUrl: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    sink = await SmtpSink.start();
    t = await createTestApp({ SMTP_URL: sink.url, OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-signup-browser-')) });
    // Another site's page that embeds the form, as a shop's website would.
    host = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>A partner shop</title></head>
        <body style="margin:0;font-family:sans-serif"><h1 style="font-size:1.2rem;padding:0 1rem">Our partner shop</h1>
        <iframe id="signup" title="Sign up" src="${t.baseUrl}/signup?locale=en" style="width:100%;height:1150px;border:0"></iframe></body></html>`);
    });
    host.listen(0, '127.0.0.1');
    await new Promise((done) => host.once('listening', done));
    hostUrl = `http://localhost:${(host.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => host.close(done));
    await t.close();
    await sink.close();
    for (const name of ['SMTP_URL', 'OUTBOX_DIR']) delete process.env[name];
  });

  it('is filled in inside another site’s iframe on a phone, and the e-mailed link confirms the sign-up', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 1250 }, deviceScaleFactor: 1, locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(hostUrl);
    const frame = page.frameLocator('#signup');
    await frame.getByRole('heading', { name: 'Sign up for our messages' }).waitFor();

    // Chromium keeps no cookie from this third-party frame (checked: context.cookies() is empty here),
    // so the post below gets through on the embed check of SignupCsrfGuard, not on the CSRF cookie.
    const email = `browser-${Date.now()}@example.test`;
    // Reached by their labels, as a screen reader user would.
    await frame.getByLabel('Your name').fill('Grace Hopper');
    await frame.getByLabel('E-mail address').fill(email);
    await frame.getByRole('group', { name: /What would you like to hear about/ }).getByLabel('News').check();
    await frame.getByLabel(/Yes, please send me e-mails/).check();
    await page.screenshot({ path: join(ARTIFACTS, 'signup-embedded-form.png') });
    await frame.getByRole('button', { name: 'Sign up' }).click();
    await frame.getByRole('heading', { name: 'Please check your inbox' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'signup-embedded-sent.png') });

    await t.app.get(SignupConfirmationMailer).idle();
    const raw = sink.messages.find((m) => m.to.includes(email));
    expect(raw?.to).toContain(email);
    const mail = await simpleParser(raw!.raw);
    const link = /href="([^"]+\/signup\/confirm\/[^"]+)"/.exec(String(mail.html))![1].replace(/^https?:\/\/[^/]+/, t.baseUrl);

    // The link opens in the mail reader's browser as a top-level page.
    const confirm = await context.newPage();
    await confirm.goto(link);
    await confirm.getByRole('heading', { name: 'Confirm your sign-up' }).waitFor();
    expect(await confirm.getByRole('listitem').allTextContents()).toEqual(['News']);
    const [{ status }] = await t.db.query(`SELECT status FROM contacts WHERE email = $1`, [email]);
    expect(status).toBe('pending');
    await confirm.screenshot({ path: join(ARTIFACTS, 'signup-confirm-button.png') });
    await confirm.getByRole('button', { name: 'Yes, sign me up' }).click();
    await confirm.getByRole('heading', { name: 'You are signed up' }).waitFor();
    await confirm.screenshot({ path: join(ARTIFACTS, 'signup-confirmed.png'), fullPage: true });

    const [after] = await t.db.query(
      `SELECT c.status, e.source, e.consent_text FROM contacts c JOIN contact_consent_events e ON e.contact_id = c.id WHERE c.email = $1`,
      [email],
    );
    expect(after).toMatchObject({ status: 'active', source: 'web form (double opt-in)' });
    expect(after.consent_text).toMatch(/^Yes, please send me e-mails/);
    await context.close();
  });
});
