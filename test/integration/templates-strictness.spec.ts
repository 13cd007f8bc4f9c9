import { randomUUID } from 'node:crypto';
import { TemplatesService } from '../../src/templates/templates.service';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * A template that refers to something the render context does not hold, does not parse, calls an
 * unknown helper, or reaches for object internals or the process is refused — at create, at
 * update, at publish and at preview — with the line and column, and nothing is stored.
 */
describe('templates: the strict check', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp()));
  afterAll(() => t.close());

  const count = async (key: string) =>
    (await t.db.query(`SELECT count(*)::int AS n FROM templates t JOIN template_versions v ON v.template_id = t.id WHERE t.key = $1`, [key]))[0].n;

  const attempts: Array<[string, string, string | RegExp]> = [
    ['an unknown variable', '<p>\n  Dear {{contact.nmae}},\n</p>', 'unknown variable "contact.nmae" at line 2, column 10'],
    ['a misspelt variable', '<p>{{prefLabels.drink}} {{contact.givenNam}}</p>', 'unknown variable "contact.givenNam" (did you mean "contact.givenName"?) at line 1, column 27'],
    ['a syntax error', '<p>\n{{#if prefs.drink}}\n  tea {{prefLabels.drink}\n{{/if}}</p>', /^syntax error: unexpected "}" .* at line 3, column 25$/],
    ['an unclosed block', '<p>{{#if prefs.drink}}tea</p>', /^syntax error: the template ends inside an unclosed .* at line 1, column 30$/],
    ['an unknown helper', '<p>{{shout contact.givenName}}</p>', 'unknown helper "shout" at line 1, column 6'],
    ['constructor.constructor', '<p>{{constructor.constructor}}</p>', 'forbidden name "constructor" in "constructor.constructor": templates cannot reach object internals at line 1, column 6'],
    ['a __proto__ path', '<p>{{__proto__}}</p>', 'forbidden name "__proto__" in "__proto__": templates cannot reach object internals at line 1, column 6'],
    ['a __proto__ lookup', '<p>{{lookup this "__proto__"}}</p>', 'forbidden name "__proto__": templates cannot reach object internals at line 1, column 18'],
    ['a constructor lookup chain', '{{#with (lookup contact "constructor")}}{{lookup this "constructor"}}{{/with}}', /^forbidden name "constructor": templates cannot reach object internals at line 1, column 25$/],
    ['the environment', '<p>{{process.env.SECRET_KEY}}</p>', `"process.env.SECRET_KEY": templates cannot read the environment (process); only the message's data is available at line 1, column 6`],
    ['the environment through @root', '<p>{{@root.process.mainModule}}</p>', /^"@root\.process\.mainModule": templates cannot read the environment \(process\) at line 1, column 6$/],
    ['unescaped HTML', '<p>{{{contact.givenName}}}</p>', /^triple braces .* at line 1, column 4$/],
  ];

  it.each(attempts)('refuses %s at create, naming the problem, and saves nothing', async (_name, html, problem) => {
    const key = `strict-${randomUUID().slice(0, 8)}`;
    const response = await t.http.post('/templates').set(t.auth('marketer'))
      .send({ key, channel: 'email', locale: 'en', subject: 'Hello', html }).expect(400);
    expect(response.body).toMatchObject({ error: 'TEMPLATE_INVALID', message: expect.stringContaining('nothing was saved') });
    expect(response.body.details).toContainEqual({ field: 'html', problem: typeof problem === 'string' ? problem : expect.stringMatching(problem) });
    expect(await count(key)).toBe(0);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE entity_type = 'template' AND changes->>'key' = $1`, [key]))[0].n).toBe(0);
  });

  it('names problems in every part, SMS bodies included', async () => {
    const key = `strict-${randomUUID().slice(0, 8)}`;
    const email = await t.http.post('/templates').set(t.auth('marketer')).send({
      key, channel: 'email', locale: 'en', subject: 'Hi {{contact.nmae}}', html: '<p>ok</p>', text: 'line\n{{formatDate now "someday"}}',
    }).expect(400);
    expect(email.body.details).toEqual([
      { field: 'subject', problem: 'unknown variable "contact.nmae" at line 1, column 6' },
      { field: 'text', problem: expect.stringMatching(/^"formatDate" does not know "someday" \(one of: short, medium, long.*\) at line 2, column 18$/) },
    ]);
    const sms = await t.http.post('/templates').set(t.auth('marketer')).send({ key, channel: 'sms', locale: 'en', body: 'Hi {{wakeUp}}' }).expect(400);
    expect(sms.body.details).toEqual([{ field: 'body', problem: 'unknown variable "wakeUp" at line 1, column 6' }]);
    expect(await count(key)).toBe(0);
  });

  it('refuses the same at update, leaving the template as it was', async () => {
    const key = `strict-${randomUUID().slice(0, 8)}`;
    const { body } = await t.http.post('/templates').set(t.auth('marketer'))
      .send({ key, channel: 'email', locale: 'en', subject: 'Hello', html: '<p>Hello {{contact.givenName}}</p>' }).expect(201);
    await t.http.post(`/templates/${body.id}/publish`).set(t.auth('marketer')).expect(200);
    for (const [, html, problem] of attempts) {
      const response = await t.http.patch(`/templates/${body.id}`).set(t.auth('marketer')).send({ html }).expect(400);
      expect(response.body.details).toContainEqual({ field: 'html', problem: typeof problem === 'string' ? problem : expect.stringMatching(problem) });
    }
    const after = await t.http.get(`/templates/${body.id}`).set(t.auth('viewer')).expect(200);
    expect(after.body).toMatchObject({ publishedVersion: 1, draftVersion: null, published: { html: '<p>Hello {{contact.givenName}}</p>' } });
    expect(await count(key)).toBe(1);
  });

  it('checks again at publish and at render: a row changed behind the API is neither published nor sent', async () => {
    const key = `strict-${randomUUID().slice(0, 8)}`;
    const { body } = await t.http.post('/templates').set(t.auth('marketer')).send({ key, channel: 'sms', locale: 'en', body: 'Hello {{contact.givenName}}' }).expect(201);
    await t.db.query(`UPDATE template_versions SET body = '{{process.env.SECRET_KEY}}' WHERE template_id = $1`, [body.id]);
    const publish = await t.http.post(`/templates/${body.id}/publish`).set(t.auth('marketer')).expect(400);
    expect(publish.body).toMatchObject({ error: 'TEMPLATE_INVALID', message: expect.stringContaining('nothing was published') });
    expect((await t.http.get(`/templates/${body.id}`).set(t.auth('viewer')).expect(200)).body).toMatchObject({ publishedVersion: null, draftVersion: 1 });

    await t.db.query(`UPDATE template_versions SET state = 'published', published_at = now() WHERE template_id = $1`, [body.id]);
    const templates = t.app.get(TemplatesService);
    templates.invalidate(body.id);
    await expect(templates.render({ key, channel: 'sms', locale: 'en', context: { contact: {} } })).rejects.toMatchObject({ status: 422, code: 'TEMPLATE_INVALID' });
  });

  it('refuses unsaved content at preview, rendering nothing', async () => {
    const response = await t.http.post('/templates/file:email:birthday.en.a/preview').set(t.auth('marketer'))
      .send({ content: { html: '<p>{{lookup this "__proto__"}}</p>' } }).expect(400);
    expect(response.body).toMatchObject({
      error: 'TEMPLATE_INVALID',
      message: expect.stringContaining('nothing was rendered'),
      details: [{ field: 'html', problem: 'forbidden name "__proto__": templates cannot reach object internals at line 1, column 18' }],
    });
    expect(response.body).not.toHaveProperty('html');
  });
});
