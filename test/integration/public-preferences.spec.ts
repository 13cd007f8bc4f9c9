import fc from 'fast-check';
import request from 'supertest';
import { OutboundSender } from '../../src/channels/outbound/outbound-sender';
import { SignedTokens } from '../../src/common/signed-tokens';
import { contactInput } from '../factories/contact.factory';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * The preference centre behind a contact's signed link: known answers shown as answers, unknown
 * ones asked, changes saved as web-form statements in one go; and everything a stranger can try
 * (no CSRF field, tampered, expired, other-purpose, other-contact and randomly mutated tokens)
 * refused with a plain page that shows nothing about anyone.
 */
describe('public preference centre', () => {
  let t: TestApp;
  let tokens: SignedTokens;
  let sender: OutboundSender;

  beforeAll(async () => {
    // The throttle has its own test below; here it must not get in the way of 1,000 requests.
    t = await createTestApp({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000' });
    tokens = t.app.get(SignedTokens);
    sender = t.app.get(OutboundSender);
  });
  afterAll(() => t.close());

  async function contactWith(fields: Record<string, unknown>, prefs: Array<{ key: string; value: unknown }> = []): Promise<{ id: string; name: string }> {
    const input = contactInput(fields);
    const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(input).expect(201);
    if (prefs.length > 0) {
      await t.http
        .post(`/contacts/${body.id}/preferences`)
        .set(t.auth('marketer'))
        .send({ preferences: prefs.map((p) => ({ ...p, source: 'customer_told_staff' })) })
        .expect(201);
    }
    return { id: body.id, name: String(input.familyName) };
  }

  function pathOf(url: string): string {
    return new URL(url).pathname;
  }

  /** A browser-like agent: keeps the CSRF cookie between the page and its form post. */
  async function openForm(path: string): Promise<{ agent: ReturnType<typeof request.agent>; html: string; csrf: string }> {
    const agent = request.agent(t.baseUrl);
    const page = await agent.get(path).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (!csrf) throw new Error('no CSRF field on the page');
    return { agent, html: page.text, csrf };
  }

  /** The part of the page that shows one question (its fieldset). */
  function question(html: string, id: string): string {
    const start = html.indexOf(`id="q-${id}"`);
    if (start < 0) return '';
    return html.slice(start, html.indexOf('</fieldset>', start));
  }

  it('shows known answers as answers and asks only the unknown ones, in the contact\'s language', async () => {
    const contact = await contactWith(
      { locale: 'en', consent: { email: { granted: true } } },
      [{ key: 'drink', value: 'coffee' }],
    );
    const { html } = await openForm(pathOf(sender.preferencesUrl(contact.id)));
    expect(html).toContain('<html lang="en">');
    const drink = question(html, 'pref-drink');
    expect(drink).toContain('Your answer: <strong class="answer">coffee</strong>');
    expect(drink).toMatch(/<input type="radio" id="pref-drink-coffee" name="pref_drink" value="coffee" checked>/);
    const newspaper = question(html, 'pref-newspaper');
    expect(newspaper).not.toContain('Your answer');
    expect(newspaper).not.toContain('checked');
    // The known e-mail consent is an answer; SMS was never asked, so it is a question.
    expect(question(html, 'consent-email')).toContain('Your answer: <strong class="answer">Yes</strong>');
    expect(question(html, 'consent-sms')).not.toContain('Your answer');
    // Unknown questions come first, under their own heading; the known ones after theirs.
    expect(html.indexOf('A few questions')).toBeLessThan(html.indexOf('id="q-pref-newspaper"'));
    expect(html.indexOf('What you have told us')).toBeLessThan(html.indexOf('id="q-pref-drink"'));
    expect(html.indexOf('What you have told us')).toBeGreaterThan(html.indexOf('id="q-pref-newspaper"'));
  });

  it('speaks Chinese to a zh-CN contact', async () => {
    const contact = await contactWith({ locale: 'zh-CN' }, [{ key: 'drink', value: 'tea' }]);
    const { html } = await openForm(pathOf(sender.preferencesUrl(contact.id)));
    expect(html).toContain('<html lang="zh-CN">');
    expect(question(html, 'pref-drink')).toContain('您的回答： <strong class="answer">茶</strong>');
    expect(html).toContain('您早上想看哪份报纸？');
  });

  it('saves changed answers as web-form statements, consent as events, and confirms what was saved', async () => {
    const contact = await contactWith({ locale: 'en', birthday: null, formOfAddress: null }, [{ key: 'drink', value: 'coffee' }]);
    const path = pathOf(sender.preferencesUrl(contact.id));
    const { agent, csrf } = await openForm(path);
    const saved = await agent
      .post(path)
      .type('form')
      .send({
        _csrf: csrf,
        pref_drink: 'tea',
        pref_newspaper: 'wall_street_journal',
        present_topics: '1',
        pref_topics: ['care', 'events'],
        consent_sms: 'yes',
        quiet_from: '21:30',
        quiet_to: '07:30',
        form_of_address: 'Dr Li',
        birthday_calendar: 'lunar',
        lunar_month: '8',
        lunar_day: '15',
      })
      .expect(200);
    expect(saved.text).toContain('Saved — thank you.');
    expect(saved.text).toMatch(/What would you like to drink\? <strong>tea<\/strong>/);
    expect(saved.text).toContain('Wall Street Journal');

    const memory = await t.http.get(`/contacts/${contact.id}/preferences?history=true`).set(t.auth('viewer')).expect(200);
    expect(memory.body.values).toMatchObject({
      drink: 'tea', newspaper: 'wall_street_journal', topics: ['care', 'events'], quiet_hours: '21:30-07:30',
      form_of_address: 'Dr Li', birthday_calendar: 'lunar',
    });
    expect(memory.body.statements.drink).toMatchObject({ source: 'web_form', recordedBy: 'web form' });
    // Appended, not overwritten: the coffee statement is still in the history.
    expect(memory.body.history.drink.map((s: { value: string }) => s.value)).toEqual(['coffee', 'tea']);

    const stored = await t.http.get(`/contacts/${contact.id}`).set(t.auth('viewer')).expect(200);
    expect(stored.body).toMatchObject({ formOfAddress: 'Dr Li', lunarBirthdayMonth: 8, lunarBirthdayDay: 15, consent: { sms: { granted: true, source: 'web form' } } });

    // Submitting the same answers again records nothing new.
    const before = (await t.db.query(`SELECT count(*)::int AS n FROM preference_statements WHERE contact_id = $1`, [contact.id]))[0].n;
    const again = await agent.post(path).type('form').send({ _csrf: csrf, pref_drink: 'tea', consent_sms: 'yes' }).expect(200);
    expect(again.text).toContain('Nothing changed');
    expect((await t.db.query(`SELECT count(*)::int AS n FROM preference_statements WHERE contact_id = $1`, [contact.id]))[0].n).toBe(before);
  });

  it('refuses a bad answer with the question named, and saves none of the form', async () => {
    const contact = await contactWith({ locale: 'en' }, [{ key: 'drink', value: 'coffee' }]);
    const path = pathOf(sender.preferencesUrl(contact.id));
    const { agent, csrf } = await openForm(path);
    const refused = await agent.post(path).type('form').send({ _csrf: csrf, pref_drink: 'tea', pref_newspaper: 'pravda' }).expect(400);
    expect(refused.text).toContain('Which newspaper would you like in the morning? — is not one of the choices offered');
    expect(refused.text).not.toContain('pravda');
    const memory = await t.http.get(`/contacts/${contact.id}/preferences`).set(t.auth('viewer')).expect(200);
    expect(memory.body.values.drink).toBe('coffee');
  });

  it('rejects a form post without the CSRF field, or with one that does not match the cookie', async () => {
    const contact = await contactWith({ locale: 'en' }, [{ key: 'drink', value: 'coffee' }]);
    const path = pathOf(sender.preferencesUrl(contact.id));
    const { agent, csrf } = await openForm(path);
    const missing = await agent.post(path).type('form').send({ pref_drink: 'tea' }).expect(403);
    expect(missing.text).toContain('This link or form is not valid');
    // The right field but no cookie (another site's form): refused.
    await request(t.baseUrl).post(path).type('form').send({ _csrf: csrf, pref_drink: 'tea' }).expect(403);
    // Another visitor's field with this visitor's cookie: refused.
    const other = await openForm(path);
    await agent.post(path).type('form').send({ _csrf: other.csrf, pref_drink: 'tea' }).expect(403);
    const memory = await t.http.get(`/contacts/${contact.id}/preferences`).set(t.auth('viewer')).expect(200);
    expect(memory.body.values.drink).toBe('coffee');
  });

  it('answers tampered, expired, other-purpose and other-contact tokens with a plain page, changing nothing', async () => {
    const victim = await contactWith({ locale: 'en', givenName: 'Victoria' }, [{ key: 'drink', value: 'coffee' }]);
    const good = sender.preferencesUrl(victim.id).split('/').pop()!;
    const [body, mac] = good.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));

    const other = await contactWith({ locale: 'en' });
    const forOther = tokens.sign({ purpose: 'preferences', contactId: other.id, expiresAt: new Date(Date.now() + 60_000) });
    // The other contact's body with the victim's signature: the signature covers the body.
    const swapped = `${forOther.split('.')[0]}.${mac}`;
    const edited = `${Buffer.from(JSON.stringify({ ...claims, c: other.id })).toString('base64url')}.${mac}`;
    const expired = tokens.sign({ purpose: 'preferences', contactId: victim.id, expiresAt: new Date(Date.now() - 1000) });
    const unsubscribe = tokens.sign({ purpose: 'unsubscribe', contactId: victim.id, expiresAt: new Date(Date.now() + 60_000) });
    const tracking = tokens.sign({ purpose: 'tracking', contactId: victim.id, expiresAt: new Date(Date.now() + 60_000) });

    const cases: Array<[string, number]> = [
      [swapped, 403], [edited, 403], [`${body}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`, 403], [unsubscribe, 403], [tracking, 403], ['x', 403],
      [expired, 410],
    ];
    for (const [token, status] of cases) {
      const res = await t.http.get(`/preferences/${token}`).expect(status);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).not.toMatch(/Victoria|coffee|_csrf|<form/);
      await t.http.post(`/preferences/${token}`).type('form').send({ pref_drink: 'tea' }).expect(403);
    }
    // A token for the other contact opens only the other contact's page.
    const otherPage = await t.http.get(`/preferences/${forOther}`).expect(200);
    expect(otherPage.text).not.toContain('Victoria');
    expect(otherPage.text).not.toContain('<strong class="answer">coffee');
    const memory = await t.http.get(`/contacts/${victim.id}/preferences`).set(t.auth('viewer')).expect(200);
    expect(memory.body.values).toEqual({ drink: 'coffee' });
  });

  it('opens nothing for 1,000 randomly mutated tokens', async () => {
    const contact = await contactWith({ locale: 'en', givenName: 'Mutable' }, [{ key: 'drink', value: 'coffee' }]);
    const good = sender.preferencesUrl(contact.id).split('/').pop()!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(good.length - 1), ch: fc.constantFrom(...alphabet) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(good.length - 1), ch: fc.constant('') }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(good.length), ch: fc.constantFrom(...alphabet) }),
    );
    const mutate = (steps: Array<{ kind: 'replace' | 'delete' | 'insert'; at: number; ch: string }>) => {
      let token = good;
      for (const s of steps) {
        const at = Math.min(s.at, token.length);
        token = s.kind === 'insert' ? token.slice(0, at) + s.ch + token.slice(at) : token.slice(0, at) + s.ch + token.slice(at + 1);
      }
      return token;
    };
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (steps) => {
        const token = mutate(steps);
        // base64url's last character carries spare bits: an edit there can decode to the same bytes
        // and is, rightly, the same token. Only tokens that differ in what they say count.
        const check = tokens.verify(token, 'preferences');
        fc.pre(!(check.ok && token !== good && check.claims.contactId === contact.id));
        seen.add(token);
        if (token === good) return;
        const res = await t.http.get(`/preferences/${encodeURIComponent(token)}`);
        expect([403, 404, 410]).toContain(res.status);
        expect(res.text).not.toMatch(/Mutable|coffee|<form/);
      }),
      { numRuns: 1000 },
    );
    expect(seen.size).toBeGreaterThan(900);
    const memory = await t.http.get(`/contacts/${contact.id}/preferences?history=true`).set(t.auth('viewer')).expect(200);
    expect(memory.body.history.drink).toHaveLength(1);
  });

  it('sets security headers on pages and API alike, and still serves the API docs', async () => {
    const contact = await contactWith({ locale: 'en' });
    const page = await t.http.get(pathOf(sender.preferencesUrl(contact.id))).expect(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['set-cookie']?.[0]).toMatch(/^tidings_csrf=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(page.text).not.toMatch(/<script/i);
    const health = await t.http.get('/health').expect(200);
    expect(health.headers['x-frame-options']).toBe('SAMEORIGIN');
    const docs = await t.http.get('/docs').expect(200);
    expect(docs.text).toContain('swagger-ui');
  });
});

describe('public rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ PUBLIC_RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(() => t.close());

  it('answers 429 past the per-minute limit on a public page, as a page; API routes with a key are not counted', async () => {
    const token = t.app.get(SignedTokens).sign({ purpose: 'preferences', contactId: '00000000-0000-4000-8000-000000000000', expiresAt: new Date(Date.now() + 60_000) });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.http.get(`/preferences/${token}`).set('Accept-Language', 'zh-CN,zh;q=0.9')).status);
    expect(statuses.slice(0, 5)).toEqual([410, 410, 410, 410, 410]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const limited = await t.http.get(`/preferences/${token}`).set('Accept-Language', 'zh-CN').expect(429);
    expect(limited.text).toContain('请求过于频繁');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    for (let i = 0; i < 8; i++) await t.http.get('/contacts?limit=1').set(t.auth('viewer')).expect(200);
  });
});
