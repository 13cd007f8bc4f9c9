import { MessageRenderer, RenderableTemplate } from './message-renderer';
import { derivedTextSource, htmlToPlainText, wrapLines } from './plain-text';
import { TemplateEngine } from './template-engine';

const engine = new TemplateEngine();

/** A care letter's shape: conditional paragraphs and inline parts, a list, links in a footer, a value in a long paragraph. */
const LETTER = `<html><head><title>{{subject}}</title></head><body>
<p>{{greeting}},</p>
<p>The workshop now opens at 07:30 on weekdays, so an early drop-off no longer means waiting at the gate. The waiting
room has moved upstairs, with a quiet corner for those who work while they wait{{#if prefs.drink}}, and yes, your
{{prefLabels.drink}} will be ready{{/if}}.</p>
{{#if openTopic}}
<p>We have not forgotten: {{openTopic.summary}}. Tell us how it went when you next visit, {{contact.givenName}}.</p>
{{else}}
<p>Tell us what you would like to hear about next time.</p>
{{/if}}
<h2>Two tips</h2>
<ul><li><strong>Tyres.</strong> Pressure drops by about 0.1 bar for every ten degrees the temperature falls, {{contact.givenName}}.</li>
<li>Battery: a longer drive once a week keeps it from giving up on the first frosty morning of the year.</li></ul>
<p>Until next time, {{default contact.givenName "and thank you"}}.</p>
<div>{{#if preferencesUrl}}<a href="{{preferencesUrl}}">Tell us how you like to be reached</a>{{/if}}
{{#if unsubscribeUrl}}{{#if preferencesUrl}} · {{/if}}<a href="{{unsubscribeUrl}}">Unsubscribe</a>{{/if}}</div>
</body></html>`;

const contexts = [
  {},
  { greeting: 'Dear Mr Li', contact: { givenName: 'Wei' }, unsubscribeUrl: 'https://care.example/unsubscribe/abc' },
  {
    greeting: 'Dear Ms Ann-Marie de la Tour-Villeneuve',
    contact: { givenName: 'Ann-Marie Cécile Josephine de la Tour-Villeneuve' },
    prefs: { drink: 'green' },
    prefLabels: { drink: 'green tea with honey, lemon & ginger' },
    openTopic: { summary: 'the noise from the front left wheel when braking on a wet road' },
    preferencesUrl: `https://care.example/preferences/${'p'.repeat(140)}`,
    unsubscribeUrl: `https://care.example/unsubscribe/${'u'.repeat(120)}`,
  },
  { greeting: '亲爱的李伟先生', contact: { givenName: '李伟' }, prefs: { drink: 'tea' }, prefLabels: { drink: '<b>茶</b> "tea"' }, preferencesUrl: 'https://care.example/p/1' },
];

describe('the text part derived from an HTML template', () => {
  it('renders, for every context, exactly what converting the rendered HTML gives', () => {
    const source = derivedTextSource(LETTER);
    expect(source).not.toBeNull();
    const html = engine.compileUncached(LETTER, 'html');
    const text = engine.compileUncached(source!, 'text');
    for (const context of contexts) expect(wrapLines(text(context))).toBe(htmlToPlainText(html(context)));
  });

  it('is refused where converting the template could not stand for converting its output', () => {
    expect(derivedTextSource('<p>{{{rawHtml}}}</p>')).toBeNull();
    expect(derivedTextSource('<p>{{> candles}}</p>')).toBeNull();
    expect(derivedTextSource('<pre>{{note}}</pre>')).toBeNull();
    // A block tag inside an attribute the conversion drops would leave its partner unbalanced.
    expect(derivedTextSource('<p title="{{#if a}}x{{/if}}">Hello</p>')).toBeNull();
  });

  it('wraps long lines at 78 characters the way the conversion does, list items indented under their text', () => {
    const long = 'word '.repeat(30).trim();
    expect(wrapLines(long)).toBe(htmlToPlainText(`<p>${long}</p>`));
    expect(wrapLines(` * ${long}`)).toBe(htmlToPlainText(`<ul><li>${long}</li></ul>`));
    expect(wrapLines('Dear  Li ,')).toBe('Dear Li ,');
  });
});

describe('MessageRenderer text part of an e-mail template without one', () => {
  const renderer = new MessageRenderer(engine);
  const template = (html: string, cacheKey: string): RenderableTemplate => ({
    cacheKey,
    templateKey: 'letter',
    channel: 'email',
    locale: 'en',
    variant: 'default',
    version: null,
    source: 'file',
    parts: { subject: 'News', html },
    rootNames: new Set(),
    layout: null,
  });

  it('is the conversion of each message’s HTML, whether derived or converted', () => {
    // The heading upper-cases its text in the conversion but not a value in the derived template:
    // the renderer notices on the first message whose value has letters and converts from then on.
    const shouting = `<h2>For {{contact.givenName}}</h2><p>Hello</p>`;
    for (const [html, key] of [[LETTER, 'file:letter@1'], [shouting, 'file:shouting@1']]) {
      for (const context of [{ contact: { givenName: '1' } }, ...contexts, ...contexts]) {
        const rendered = renderer.render(template(html, key), context);
        expect(rendered.text).toBe(htmlToPlainText(rendered.html!));
      }
    }
  });
});
