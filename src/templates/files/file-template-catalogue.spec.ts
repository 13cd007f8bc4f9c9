import Handlebars from 'handlebars';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MessageRenderer } from '../engine/message-renderer';
import { TemplateEngine } from '../engine/template-engine';
import { TemplateValidator } from '../engine/template-validator';
import { defaultTemplatesDir, FileTemplateCatalogue } from './file-template-catalogue';

function catalogue(dir: string) {
  const engine = new TemplateEngine();
  return { engine, files: new FileTemplateCatalogue(engine, new TemplateValidator(engine), dir), renderer: new MessageRenderer(engine) };
}

function write(dir: string, files: Record<string, string>, mtime?: Date): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    if (mtime) utimesSync(join(dir, path), mtime, mtime);
  }
}

describe('the template files', () => {
  it('ships the birthday and welcome templates, all passing the strict check', async () => {
    const { files } = catalogue(defaultTemplatesDir());
    expect(await files.reload()).toEqual([]);
    const ids = [...(await files.current()).templates.keys()];
    expect(ids).toEqual(expect.arrayContaining([
      'file:email:birthday.en.a', 'file:email:birthday.en.b', 'file:email:birthday.zh-CN.a', 'file:email:birthday.zh-CN.b',
      'file:sms:birthday.en.default', 'file:sms:birthday.zh-CN.default',
      'file:mail:birthday.en.default', 'file:mail:birthday.zh-CN.default',
      'file:email:welcome.en.default', 'file:email:welcome.zh-CN.default', 'file:sms:welcome.en.default', 'file:sms:welcome.zh-CN.default',
      'file:sms:nightly-courtesy.en.default',
    ]));
    const birthday = (await files.current()).templates.get('file:email:birthday.en.a')!;
    expect(birthday.parts).toMatchObject({ subject: 'Happy birthday, {{default contact.givenName "friend"}}!', layout: 'care' });
    expect(birthday.textPath).toBe('email/birthday.en.a.text.hbs');
  });

  it('keeps the hotel courtesy SMS a plain Handlebars file that renders the same through the catalogue', async () => {
    const { files, renderer } = catalogue(defaultTemplatesDir());
    await files.reload();
    const file = (await files.current()).templates.get('file:sms:nightly-courtesy.en.default')!;
    expect(file.declaredExtras).toEqual(['wakeUp', 'ask']);
    const context = { contact: { formOfAddress: 'Mr Miller' }, prefs: { drink: 'tea' }, prefLabels: { drink: 'tea' } };
    const extra = { wakeUp: '6:30 AM', ask: { drink: false, newspaper: true } };
    const raw = Handlebars.compile(readFileSync(join(defaultTemplatesDir(), 'sms/nightly-courtesy.en.hbs'), 'utf8'))({ ...context, ...extra });
    const ours = renderer.render({
      cacheKey: null, templateKey: file.key, channel: 'sms', locale: 'en', variant: 'default', version: null, source: 'file',
      parts: file.parts, rootNames: file.rootNames, layout: null,
    }, context, extra).text!;
    const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
    expect(squash(ours)).toBe(squash(raw));
    expect(squash(ours)).toBe('Good evening, Mr Miller. Your wake-up call for 6:30 AM is booked. We will bring your tea with it Which paper would you like: the New York Times or the Atlanta paper?');
  });

  describe('in a folder of its own', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tidings-templates-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('names every problem with its file, line and column, counting the front matter', async () => {
      write(dir, {
        'email/birthday.en.hbs': '---\nsubject: Hi {{contact.nmae}}\nlayout: missing\n---\n<p>\n  {{greting}}\n</p>\n',
        'email/thanks.en.text.hbs': 'text without its html',
        'sms/Bad Name.hbs': 'x',
        'sms/hello.en.hbs': '---\nsubject: nope\n---\n{{#if prefs.drink}}tea',
        'partials/sneaky.hbs': '{{constructor.name}}',
        'layouts/plain.hbs': '<html>{{subject}}</html>',
      });
      const { files } = catalogue(dir);
      const problems = await files.reload();
      expect(problems).toEqual(expect.arrayContaining([
        'email/birthday.en.hbs: unknown variable "contact.nmae" at line 2, column 15',
        'email/birthday.en.hbs: unknown variable "greting" (did you mean "greeting"?) at line 6, column 5',
        'email/birthday.en.hbs: unknown layout "missing"',
        'email/thanks.en.text.hbs: a text part without its email/thanks.en.hbs',
        expect.stringMatching(/^sms\/Bad Name\.hbs: the name must be/),
        'sms/hello.en.hbs: sms templates have no subject (they use body)',
        expect.stringMatching(/^sms\/hello\.en\.hbs: syntax error: the template ends inside an unclosed .* at line 4, column 23$/),
        expect.stringMatching(/^partials\/sneaky\.hbs: forbidden name "constructor"/),
        'layouts/plain.hbs: a layout must place the message with {{content}}',
      ]));
      expect(problems).toHaveLength(9);
      await expect(files.onModuleInit()).rejects.toThrow(/Invalid templates in .*\n {2}- /);
    });

    it('notices a changed file, recompiles it, and keeps the last good set when a change is broken', async () => {
      write(dir, { 'sms/hello.en.hbs': 'Hello {{contact.givenName}}' }, new Date('2026-01-01T00:00:00Z'));
      const { files, renderer, engine } = catalogue(dir);
      await files.onModuleInit();
      const render = async () => {
        const snapshot = await files.current();
        const file = snapshot.templates.get('file:sms:hello.en.default')!;
        return renderer.render({
          cacheKey: `file:${file.stamp}`, templateKey: file.key, channel: 'sms', locale: 'en', variant: 'default', version: null, source: 'file',
          parts: file.parts, rootNames: file.rootNames, layout: null,
        }, { contact: { givenName: 'Wei' } }).text;
      };
      expect(await render()).toBe('Hello Wei');
      expect(await render()).toBe('Hello Wei');
      expect(engine.stats().compiles).toBe(1);

      write(dir, { 'sms/hello.en.hbs': 'Good morning {{contact.givenName}}' }, new Date('2026-01-02T00:00:00Z'));
      expect(await files.reload()).toEqual([]);
      expect(await render()).toBe('Good morning Wei');
      expect(engine.stats().compiles).toBe(2);

      write(dir, { 'sms/hello.en.hbs': 'Good night {{contact.nmae}}' }, new Date('2026-01-03T00:00:00Z'));
      expect(await files.reload()).toEqual(['sms/hello.en.hbs: unknown variable "contact.nmae" at line 1, column 14']);
      expect(await render()).toBe('Good morning Wei');
    });
  });
});
