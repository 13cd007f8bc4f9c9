import { ApiError } from '../../common/errors/api-error';
import { MessageRenderer, RenderableTemplate } from './message-renderer';
import { rootSchema } from './render-schema';
import { TemplateEngine } from './template-engine';
import type { TemplateParts } from './template-validator';

const engine = new TemplateEngine();
const renderer = new MessageRenderer(engine);

function template(channel: 'email' | 'sms' | 'mail', parts: TemplateParts, cacheKey: string | null = null): RenderableTemplate {
  const rootNames = new Set<string>();
  for (const source of [parts.subject, parts.html, parts.text, parts.body]) {
    if (!source) continue;
    const parsed = engine.parse(source);
    if ('problem' in parsed) throw new Error(parsed.problem.message);
    const checked = engine.check(parsed.ast, source === parts.html ? 'html' : 'text', rootSchema());
    if (checked.problems.length > 0) throw new Error(checked.problems.map((p) => p.message).join('; '));
    checked.rootNames.forEach((n) => rootNames.add(n));
  }
  return { cacheKey, templateKey: 'note', channel, locale: 'en', variant: 'default', version: null, source: 'file', parts, rootNames, layout: null };
}

const HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>\r\nBcc: everyone@example.com';
const hostileContext = { contact: { givenName: HOSTILE, formOfAddress: HOSTILE, timeZone: 'UTC' }, locale: 'en', prefs: {}, prefLabels: { drink: '<b>tea</b>' } };

describe('rendering', () => {
  it('escapes a hostile name in HTML, keeps it one line in the subject, and leaves plain text as written', () => {
    const rendered = renderer.render(
      template('email', {
        subject: 'Hello {{contact.givenName}}',
        html: '<p title="{{contact.givenName}}">{{greeting}}, your {{prefLabels.drink}}</p>',
        text: '{{greeting}}, your {{prefLabels.drink}}',
      }),
      hostileContext,
    );
    expect(rendered.html).not.toContain('<script>');
    expect(rendered.html).not.toContain('<img');
    expect(rendered.html).not.toContain('<b>');
    expect(rendered.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(rendered.html).toContain('&lt;b&gt;tea&lt;/b&gt;');
    expect(rendered.subject).not.toMatch(/[\r\n]/);
    expect(rendered.subject).toBe(`Hello ${HOSTILE.replace(/\s+/g, ' ')}`);
    // Plain text is not HTML: escaping would only print entities. It is still only the data.
    expect(rendered.text).toBe(`Dear ${HOSTILE.replace('\r\n', '\n')}, your <b>tea</b>`);
  });

  it('reads nothing through prototypes at run time, even with keys chosen by the data', () => {
    // A loop over data-chosen keys passes the check (no key is known at save time); Handlebars'
    // own-property rule stops every one of them at run time. JSON.parse makes "__proto__" an own key,
    // as a request body would.
    const prefs = JSON.parse('{"constructor":1,"__proto__":2,"toString":3,"hasOwnProperty":4,"valueOf":5,"givenName":6}');
    const context = { contact: { givenName: 'Wei' }, prefs };
    // Handlebars names some refusals on the console (once per name, process-wide): a sign the guard engaged.
    const denied = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const one = template('sms', { body: '[{{#each prefs as |value key|}}{{lookup @root.contact key}};{{/each}}]' });
    expect(renderer.render(one, context).text).toBe('[;;;;;Wei;]');
    // contact[k1][k2] for every pair, constructor.constructor (Function) among them: nothing comes out.
    const two = template('sms', { body: '[{{#each prefs as |v k|}}{{#each @root.prefs as |w j|}}{{lookup (lookup @root.contact k) j}}{{/each}}{{/each}}]' });
    expect(renderer.render(two, context).text).toBe('[]');
    expect(denied.mock.calls.map((args) => String(args[0])).join('\n')).toMatch(/Access has been denied to resolve the property/);
    denied.mockRestore();
  });

  it('renders a missing value as nothing', () => {
    expect(renderer.render(template('sms', { body: 'Hi {{contact.givenName}}, {{prefLabels.drink}}.' }), { contact: {} }).text).toBe('Hi , .');
  });

  it('refuses output longer than the channel takes', () => {
    const long = template('sms', { body: '{{#repeat 150}}{{contact.givenName}}{{/repeat}}' });
    expect(() => renderer.render(long, { contact: { givenName: 'x'.repeat(20) } })).toThrow(ApiError);
    try {
      renderer.render(long, { contact: { givenName: 'x'.repeat(20) } });
    } catch (error) {
      expect((error as ApiError).code).toBe('TEMPLATE_OUTPUT_TOO_LARGE');
    }
    expect(renderer.render(long, { contact: { givenName: 'x'.repeat(10) } }).text).toHaveLength(1500);
  });

  it('compiles a template once and reuses it', () => {
    const cached = template('sms', { body: 'Hi {{contact.givenName}}' }, 'file:sms/once.en.hbs@1');
    const before = engine.stats();
    for (const name of ['Wei', 'Mei', 'Jian']) expect(renderer.render(cached, { contact: { givenName: name } }).text).toBe(`Hi ${name}`);
    const after = engine.stats();
    expect(after.compiles - before.compiles).toBe(1);
    expect(after.hits - before.hits).toBe(2);
    engine.forget('file:sms/once.en.hbs@1');
    renderer.render(cached, { contact: { givenName: 'Wei' } });
    expect(engine.stats().compiles - after.compiles).toBe(1);
  });
});
