import { randomUUID } from 'node:crypto';
import { RenderContextService } from '../../src/memory/render-context/render-context.service';
import { TemplatesService } from '../../src/templates/templates.service';
import { createContact } from '../factories/memory.factory';
import { createTestApp, TestApp } from '../support/test-app';

const candles = (text: string | undefined) => [...(text ?? '')].filter((c) => c === '🕯').length;

/**
 * Previews for real contacts (what the memory layer knows about them) and sample data, and the
 * render contract other modules use: locale fallback, variants, unknown keys.
 */
describe('templates: preview and render', () => {
  let t: TestApp;
  let templates: TemplatesService;
  let chinese: string;
  let american: string;
  // 25 September 2026 in Shanghai: Mid-Autumn, and Mr Li's 46th birthday.
  const now = '2026-09-25T01:00:00Z';

  beforeAll(async () => {
    t = await createTestApp();
    templates = t.app.get(TemplatesService);
    chinese = await createContact(t, {
      givenName: '伟', familyName: '李', formOfAddress: 'Mr Li', locale: 'zh-CN', timeZone: 'Asia/Shanghai', birthday: '1980-09-25',
      lunarBirthdayMonth: 8, lunarBirthdayDay: 15,
    });
    american = await createContact(t, {
      givenName: 'Ann', familyName: 'Miller', formOfAddress: 'Ms Miller', locale: 'en-US', timeZone: 'America/New_York', birthday: '1991-09-25',
    });
    const prefer = (id: string, preferences: unknown[]) => t.http.post(`/contacts/${id}/preferences`).set(t.auth('marketer')).send({ preferences }).expect(201);
    // What the customers told us: Mr Li drinks tea and wants to be addressed as 李先生; Ms Miller drinks coffee.
    await prefer(chinese, [{ key: 'drink', value: 'tea', source: 'web_form' }, { key: 'form_of_address', value: '李先生', source: 'web_form' }]);
    await prefer(american, [{ key: 'drink', value: 'coffee', source: 'web_form' }]);
  });
  afterAll(() => t.close());

  const preview = (id: string, body: Record<string, unknown>, status = 200) =>
    t.http.post(`/templates/${id}/preview`).set(t.auth('marketer')).send(body).expect(status);

  it('renders the Chinese birthday e-mail for a real contact, from what they told us', async () => {
    const { body } = await preview('file:email:birthday.zh-CN.a', { contactId: chinese, extra: { now } });
    expect(body).toMatchObject({
      templateId: 'file:email:birthday.zh-CN.a', contactId: chinese, state: 'published',
      templateKey: 'birthday', channel: 'email', locale: 'zh-CN', variant: 'a', version: null, source: 'file',
      subject: '尊敬的李先生，生日快乐！',
    });
    expect(body.html).toContain('<p>尊敬的李先生：</p>');
    expect(body.html).toContain('祝您46岁生日快乐！');
    expect(body.html).toContain('您常喝的茶由我们请客');
    expect(body.html).toContain('您的农历生日（农历八月十五）我们也记着呢');
    expect(candles(body.html)).toBe(46);
    expect(body.html).toContain('Tidings 客户关怀团队'); // the shared layout
    expect(body.text).toContain('您常喝的茶由我们请客');
    expect(body.text).not.toContain('<');
  });

  it('renders the English birthday e-mail and letter for a real contact, in English labels', async () => {
    const email = (await preview('file:email:birthday.en.b', { contactId: american, extra: { now } })).body;
    expect(email.subject).toBe('35 candles and counting');
    expect(email.html).toContain('<p>Dear Ms Miller,</p>');
    expect(email.html).toContain('That is 35 candles — happy birthday!');
    expect(email.html).toContain('we will have your coffee ready');
    expect(candles(email.html)).toBe(35);

    const letter = (await preview('file:mail:birthday.en.default', { contactId: american, extra: { now } })).body;
    expect(letter.text).toBe(
      'Dear Ms Miller,\n\nHappy 35th birthday!\n\nHere are 35 candles, one for every year — may the next one be the best yet.\n\n' +
        'When you next visit, your coffee is on us.\n\nWith warm wishes,\nThe Tidings care team',
    );
    // The same Chinese customer previewed in English gets English labels and a carried-over title.
    const sms = (await preview('file:sms:birthday.en.default', { contactId: chinese, extra: { now } })).body;
    expect(sms.text).toBe('Dear Mr 李, happy 46th birthday from Tidings! Your usual tea is on us this week.');
  });

  it('escapes a hostile name in the HTML it previews', async () => {
    const hostile = await createContact(t, {
      givenName: '<script>alert(1)</script>', familyName: 'X', formOfAddress: '"><img src=x onerror=alert(document.cookie)>', locale: 'en',
    });
    const { body } = await preview('file:email:birthday.en.a', { contactId: hostile, extra: { now } });
    expect(body.html).not.toMatch(/<script>|<img src/);
    expect(body.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(body.html).toContain('Dear &quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(document.cookie)&gt;,');
    expect(body.subject).toBe('Happy birthday, <script>alert(1)</script>!'); // a header, not HTML: the mail channel encodes it
  });

  it('previews sample data, a draft, and unsaved changes; refuses what it cannot render', async () => {
    const sample = (await preview('file:sms:welcome.zh-CN.default', {})).body;
    expect(sample).toMatchObject({ contactId: null, text: '尊敬的李先生，欢迎加入 Tidings！我们只在重要的时候给您发短信。已记下您喜欢茶。' });
    const given = (await preview('file:sms:welcome.en.default', { sample: { contact: { formOfAddress: 'Dr Okafor' }, prefs: {}, prefLabels: {} } })).body;
    expect(given.text).toBe('Dear Dr Okafor, welcome to Tidings! We will only text when it matters.');

    const key = `preview-${randomUUID().slice(0, 8)}`;
    const { body: created } = await t.http.post('/templates').set(t.auth('marketer'))
      .send({ key, channel: 'sms', locale: 'en', body: 'Draft for {{greeting}}' }).expect(201);
    expect((await preview(created.id, { contactId: american })).body).toMatchObject({ state: 'draft', version: 1, source: 'database', text: 'Draft for Dear Ms Miller' });
    const unsaved = (await preview(created.id, { contactId: american, content: { body: 'Try: {{prefLabels.drink}}' } })).body;
    expect(unsaved.text).toBe('Try: coffee');
    expect((await t.http.get(`/templates/${created.id}`).set(t.auth('viewer')).expect(200)).body.draft.body).toBe('Draft for {{greeting}}');

    expect((await preview(created.id, { contactId: american, sample: {} }, 400)).body.details[0].field).toBe('sample');
    expect((await preview(created.id, { contactId: randomUUID() }, 404)).body.details[0].field).toBe('contactId');
    expect((await preview(created.id, { extra: { secret: 1 } }, 400)).body.details[0].field).toBe('extra.secret');
    expect((await preview('file:sms:nightly-courtesy.en.default', { extra: { wakeUp: '6:30 AM', ask: { drink: true } } })).body.text)
      .toContain('Your wake-up call for 6:30 AM is booked.');
  });

  it('renders through the contract with locale fallback, variants and a 404 naming an unknown key', async () => {
    const contexts = t.app.get(RenderContextService);
    const li = (await contexts.build(chinese, 'zh-CN'))!;
    const zhHk = await templates.render({ key: 'birthday', channel: 'email', locale: 'zh-HK', variant: 'b', context: li, extra: { now } });
    expect(zhHk).toMatchObject({ locale: 'zh-CN', variant: 'b', source: 'file', version: null, subject: '46支蜡烛，为您点亮' });
    const french = await templates.render({ key: 'birthday', channel: 'sms', locale: 'fr-FR', context: li, extra: { now } });
    expect(french).toMatchObject({ locale: 'en' });
    // Without a locale, the context's; without a variant, the first by name.
    expect(await templates.render({ key: 'birthday', channel: 'email', context: li, extra: { now } })).toMatchObject({ locale: 'zh-CN', variant: 'a' });

    expect(await templates.variants('birthday', 'email', 'zh-CN')).toEqual(['a', 'b']);
    expect(await templates.variants('birthday', 'email', 'de')).toEqual(['a', 'b']);
    expect(await templates.variants('birthday', 'sms', 'en-GB')).toEqual(['default']);
    expect(await templates.variants('no-such-message', 'email', 'en')).toEqual([]);
    await expect(templates.render({ key: 'no-such-message', channel: 'email', context: li })).rejects.toMatchObject({
      status: 404, code: 'TEMPLATE_NOT_FOUND', message: 'There is no email template "no-such-message".',
    });
    await expect(templates.render({ key: 'birthday', channel: 'email', variant: 'zz', context: li })).rejects.toMatchObject({
      status: 404, details: [{ field: 'variant', problem: 'no variant "zz" (have: a, b)' }],
    });
  });

  it("puts the layout's CSS on the elements of every contact's e-mail, not only the first one rendered", async () => {
    const contexts = t.app.get(RenderContextService);
    const ann = (await contexts.build(american))!;
    const li = (await contexts.build(chinese, 'zh-CN'))!;
    // The first render of a template inlines it the slow way and checks the once-inlined template against it.
    for (const [context, candleCount] of [[ann, 35], [li, 46], [ann, 35]] as const) {
      const mail = await templates.render({ key: 'birthday', channel: 'email', locale: context.locale, variant: 'b', context, extra: { now } });
      expect(mail.cssInlined).toBe(true);
      expect(mail.html).not.toContain('<style');
      expect(mail.html).toMatch(/<div class="card" style="[^"]*max-width: 560px;[^"]*">/);
      expect(mail.html).toMatch(/<p class="candles" style="font-size: 22px; letter-spacing: 2px;">/);
      expect(candles(mail.html)).toBe(candleCount);
    }
  });
});
