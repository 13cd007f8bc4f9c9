import { randomUUID } from 'node:crypto';
import { TemplatesService } from '../../src/templates/templates.service';
import { createTestApp, TestApp } from '../support/test-app';
import { htmlToPlainText } from '../../src/templates/engine/plain-text';

/**
 * Database templates through the API: a draft, its publication, a new draft, a second publication
 * and a rollback — and what TemplatesService.render sends at every step.
 */
describe('templates: versions', () => {
  let t: TestApp;
  let templates: TemplatesService;
  const context = { contact: { givenName: 'Wei', familyName: 'Li', formOfAddress: 'Mr Li', timeZone: 'Asia/Shanghai' }, locale: 'en', prefs: {}, prefLabels: {} };
  const uniqueKey = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    t = await createTestApp();
    templates = t.app.get(TemplatesService);
  });
  afterAll(() => t.close());

  const sms = (key: string) => templates.render({ key, channel: 'sms', locale: 'en', context });

  it('goes draft → publish → edit → publish → rollback, and renders the published version at every step', async () => {
    const key = uniqueKey('thanks');
    const created = await t.http.post('/templates').set(t.auth('marketer'))
      .send({ key, channel: 'sms', locale: 'en', body: 'Thanks, {{contact.givenName}}!' }).expect(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({ source: 'database', readOnly: false, key, channel: 'sms', locale: 'en', variant: 'default', draftVersion: 1, publishedVersion: null });
    // A draft is never sent.
    await expect(sms(key)).rejects.toMatchObject({ status: 404, code: 'TEMPLATE_NOT_FOUND', message: expect.stringContaining(`"${key}"`) });

    const edited = await t.http.patch(`/templates/${id}`).set(t.auth('marketer')).send({ body: 'Thank you, {{contact.givenName}}.' }).expect(200);
    expect(edited.body).toMatchObject({ draftVersion: 1, draft: { version: 1, state: 'draft', body: 'Thank you, {{contact.givenName}}.' } });

    const first = await t.http.post(`/templates/${id}/publish`).set(t.auth('marketer')).expect(200);
    expect(first.body).toMatchObject({ publishedVersion: 1, draftVersion: null, draft: null, published: { version: 1, state: 'published' } });
    expect(await sms(key)).toEqual({ templateKey: key, channel: 'sms', locale: 'en', variant: 'default', version: 1, source: 'database', text: 'Thank you, Wei.' });

    const second = await t.http.patch(`/templates/${id}`).set(t.auth('marketer')).send({ body: 'Thank you for visiting, {{greeting}}.' }).expect(200);
    expect(second.body).toMatchObject({ publishedVersion: 1, draftVersion: 2 });
    expect((await sms(key)).text).toBe('Thank you, Wei.');

    await t.http.post(`/templates/${id}/publish`).set(t.auth('marketer')).expect(200);
    expect(await sms(key)).toMatchObject({ version: 2, text: 'Thank you for visiting, Dear Mr Li.' });

    const rolledBack = await t.http.post(`/templates/${id}/rollback`).set(t.auth('marketer')).send({ version: 1 }).expect(200);
    expect(rolledBack.body).toMatchObject({ publishedVersion: 1, draftVersion: null });
    expect(await sms(key)).toMatchObject({ version: 1, text: 'Thank you, Wei.' });

    const versions = await t.http.get(`/templates/${id}/versions`).set(t.auth('viewer')).expect(200);
    expect(versions.body.map((v: { version: number; state: string }) => [v.version, v.state])).toEqual([[2, 'retired'], [1, 'published']]);

    // Only an earlier published version can be published again; a publish needs a draft.
    const again = await t.http.post(`/templates/${id}/rollback`).set(t.auth('marketer')).send({ version: 1 }).expect(409);
    expect(again.body).toMatchObject({ error: 'NOT_A_PREVIOUS_VERSION', details: [{ field: 'version', problem: 'is already the published version' }] });
    await t.http.post(`/templates/${id}/rollback`).set(t.auth('marketer')).send({ version: 7 }).expect(404);
    expect((await t.http.post(`/templates/${id}/publish`).set(t.auth('marketer')).expect(409)).body.error).toBe('NO_DRAFT');

    // Forward again to 2 by rolling "back" to it: any retired version can return.
    await t.http.post(`/templates/${id}/rollback`).set(t.auth('marketer')).send({ version: 2 }).expect(200);
    expect(await sms(key)).toMatchObject({ version: 2 });

    const audit = await t.db.query(`SELECT action, changes FROM audit_log WHERE entity_type = 'template' AND entity_id = $1 ORDER BY id`, [id]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'template.create', 'template.update', 'template.publish', 'template.update', 'template.publish', 'template.rollback', 'template.rollback',
    ]);
    expect(audit[5].changes).toEqual({ version: 1, previous: 2 });
  });

  it('starts a new e-mail draft from the published version, even after a rollback', async () => {
    const key = uniqueKey('visit');
    const { body: created } = await t.http.post('/templates').set(t.auth('marketer')).send({
      key, channel: 'email', locale: 'en', variant: 'a', layout: 'care',
      subject: 'See you soon', html: '<p>{{greeting}}, v1</p>',
    }).expect(201);
    const id = created.id;
    await t.http.post(`/templates/${id}/publish`).set(t.auth('marketer')).expect(200);
    await t.http.patch(`/templates/${id}`).set(t.auth('marketer')).send({ html: '<p>{{greeting}}, v2</p>' }).expect(200);
    await t.http.post(`/templates/${id}/publish`).set(t.auth('marketer')).expect(200);
    await t.http.post(`/templates/${id}/rollback`).set(t.auth('marketer')).send({ version: 1 }).expect(200);

    const draft = await t.http.patch(`/templates/${id}`).set(t.auth('marketer')).send({ subject: 'See you very soon' }).expect(200);
    expect(draft.body.draft).toMatchObject({ version: 3, subject: 'See you very soon', html: '<p>{{greeting}}, v1</p>', layout: 'care', text: null });

    const rendered = await templates.render({ key, channel: 'email', locale: 'en', variant: 'a', context, extra: { unsubscribeUrl: 'https://care.example/u/abc' } });
    expect(rendered).toMatchObject({ version: 1, subject: 'See you soon', source: 'database' });
    // The shared layout wraps the body and carries the unsubscribe link.
    expect(rendered.html).toContain('<p>Dear Mr Li, v1</p>');
    expect(rendered.html).toContain('<title>See you soon</title>');
    expect(rendered.html).toContain('href="https://care.example/u/abc"');
    // No text part of its own: the one made from the HTML, the unsubscribe link written out.
    expect(rendered.text).toBe(htmlToPlainText(rendered.html!));
    expect(rendered.text).toMatch(/^Dear Mr Li, v1\n[\s\S]*Unsubscribe \[https:\/\/care\.example\/u\/abc\]$/);
  });

  it('lets a published database template override the file of the same name, until it is archived', async () => {
    const file = 'file:sms:nightly-courtesy.en.default';
    const extra = { wakeUp: '6:30 AM', ask: { drink: true, newspaper: false } };
    const before = await templates.render({ key: 'nightly-courtesy', channel: 'sms', locale: 'en', context, extra });
    expect(before).toMatchObject({ source: 'file', version: null });

    const { body } = await t.http.post('/templates').set(t.auth('marketer'))
      .send({ key: 'nightly-courtesy', channel: 'sms', locale: 'en', body: 'Good night, {{greeting}}.' }).expect(201);
    await t.http.post(`/templates/${body.id}/publish`).set(t.auth('marketer')).expect(200);
    expect(await templates.render({ key: 'nightly-courtesy', channel: 'sms', locale: 'en', context, extra })).toMatchObject({
      source: 'database', version: 1, text: 'Good night, Dear Mr Li.',
    });

    const list = await t.http.get('/templates?channel=sms&key=nightly-courtesy').set(t.auth('viewer')).expect(200);
    expect(list.body).toEqual([
      expect.objectContaining({ id: body.id, source: 'database', overrides: file, publishedVersion: 1 }),
      expect.objectContaining({ id: file, source: 'file', readOnly: true, overriddenBy: body.id, path: 'sms/nightly-courtesy.en.hbs' }),
    ]);

    await t.http.delete(`/templates/${body.id}`).set(t.auth('marketer')).expect(204);
    expect(await templates.render({ key: 'nightly-courtesy', channel: 'sms', locale: 'en', context, extra })).toMatchObject({ source: 'file' });
    const archived = await t.http.get(`/templates/${body.id}`).set(t.auth('viewer')).expect(200);
    expect(archived.body.archivedAt).not.toBeNull();
    expect((await t.http.patch(`/templates/${body.id}`).set(t.auth('marketer')).send({ body: 'x' }).expect(409)).body.error).toBe('TEMPLATE_ARCHIVED');
    expect((await t.http.get('/templates?channel=sms&key=nightly-courtesy').set(t.auth('viewer')).expect(200)).body).toHaveLength(1);
  });

  it('shows file templates read-only and refuses to change them', async () => {
    const file = await t.http.get('/templates/file:email:birthday.en.a').set(t.auth('viewer')).expect(200);
    expect(file.body).toMatchObject({
      id: 'file:email:birthday.en.a', source: 'file', readOnly: true, key: 'birthday', channel: 'email', locale: 'en', variant: 'a',
      path: 'email/birthday.en.a.hbs', published: { version: null, layout: 'care', subject: expect.stringContaining('Happy birthday') },
    });
    expect(file.body.published.text).toContain('{{greeting}}');
    expect((await t.http.patch('/templates/file:email:birthday.en.a').set(t.auth('marketer')).send({ subject: 'x' }).expect(409)).body.error).toBe('TEMPLATE_READ_ONLY');
    await t.http.post('/templates/file:email:birthday.en.a/publish').set(t.auth('marketer')).expect(409);
    await t.http.delete('/templates/file:email:birthday.en.a').set(t.auth('marketer')).expect(409);
    await t.http.get('/templates/file:email:birthday.xx.a').set(t.auth('viewer')).expect(404);
    expect((await t.http.get('/templates/birthday').set(t.auth('viewer')).expect(400)).body.details[0].field).toBe('id');
    await t.http.get(`/templates/${randomUUID()}`).set(t.auth('viewer')).expect(404);

    const listed = await t.http.get('/templates?channel=email&key=birthday&source=file').set(t.auth('viewer')).expect(200);
    expect(listed.body.map((x: { id: string }) => x.id)).toEqual([
      'file:email:birthday.en.a', 'file:email:birthday.en.b', 'file:email:birthday.zh-CN.a', 'file:email:birthday.zh-CN.b',
    ]);
  });

  it('refuses a second live template with the same name, parts a channel does not have, and writes by a viewer', async () => {
    const key = uniqueKey('dup');
    await t.http.post('/templates').set(t.auth('marketer')).send({ key, channel: 'sms', locale: 'zh-CN', body: '您好' }).expect(201);
    const dup = await t.http.post('/templates').set(t.auth('marketer')).send({ key, channel: 'sms', locale: 'zh-CN', body: '您好！' }).expect(409);
    expect(dup.body.error).toBe('TEMPLATE_EXISTS');
    const wrong = await t.http.post('/templates').set(t.auth('marketer')).send({ key, channel: 'sms', locale: 'en', subject: 'Hi', body: 'Hi' }).expect(400);
    expect(wrong.body.details).toEqual([{ field: 'subject', problem: 'sms templates have no subject (they use body)' }]);
    const missing = await t.http.post('/templates').set(t.auth('marketer')).send({ key, channel: 'email', locale: 'en', subject: 'Hi' }).expect(400);
    expect(missing.body.details).toEqual([{ field: 'html', problem: 'html is required for email templates' }]);
    const layout = await t.http.post('/templates').set(t.auth('marketer')).send({ key, channel: 'email', locale: 'en', subject: 'Hi', html: '<p>Hi</p>', layout: 'nope' }).expect(400);
    expect(layout.body.details).toEqual([{ field: 'layout', problem: 'unknown layout "nope"' }]);
    const variant = await t.http.post('/templates').set(t.auth('marketer')).send({ key, channel: 'sms', locale: 'en', variant: 'text', body: 'Hi' }).expect(400);
    expect(variant.body.details[0].field).toBe('variant');
    await t.http.post('/templates').set(t.auth('viewer')).send({ key: uniqueKey('viewer'), channel: 'sms', locale: 'en', body: 'Hi' }).expect(403);
  });
});
