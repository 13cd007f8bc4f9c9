import { rootSchema } from './render-schema';
import { TemplateEngine } from './template-engine';
import type { OutputMode } from './template-checker';

const engine = new TemplateEngine();

function usePartials(partials: Record<string, string>): void {
  engine.setPartials(new Map(Object.entries(partials).map(([name, source]) => [name, { source, ast: (engine.parse(source) as { ast: hbs.AST.Program }).ast }])));
}
usePartials({ candles: '{{#repeat age}}🕯{{/repeat}}' });

/** Problems as "message @line:column", the way an author reads them. */
function problems(source: string, mode: OutputMode = 'html', declaredExtras: string[] = []): string[] {
  const parsed = engine.parse(source);
  if ('problem' in parsed) return [`${parsed.problem.message} @${parsed.problem.line}:${parsed.problem.column}`];
  return engine.check(parsed.ast, mode, rootSchema({ declaredExtras })).problems.map((p) => `${p.message} @${p.line}:${p.column}`);
}

describe('the strict template check', () => {
  it('accepts what the birthday templates use', () => {
    expect(problems(
      '<p>{{greeting}},</p>\n{{#if age}}{{ordinal age}} {{> candles}}{{/if}}\n' +
        '{{#if prefs.drink}}your usual {{prefLabels.drink}}{{else}}{{default prefs.drink "tea"}}{{/if}}\n' +
        '{{formatDate contact.birthday "monthDay"}} {{lunarDate contact.lunarBirthday}} {{currency value.monetaryTotal "CNY"}}\n' +
        '{{plural age one="# candle" other="# candles"}} {{#if (eq prefs.drink "tea")}}tea{{/if}} {{contact.attributes.tier}}\n' +
        '{{#each prefLabels as |label key|}}{{key}}: {{label}} {{@index}} {{@root.contact.givenName}} {{../locale}}{{/each}}\n' +
        '{{#with contact.address}}{{city}} {{postcode}}{{/with}} {{#repeat 3}}{{@index}}{{/repeat}} {{occasion.key}} {{campaign.name}}',
    )).toEqual([]);
  });

  it('names an unknown variable with its line and column, and suggests a near miss', () => {
    expect(problems('<html>\n<body>\n<p>Dear {{contact.nmae}},</p>')).toEqual(['unknown variable "contact.nmae" @3:11']);
    expect(problems('{{contact.givenNmae}}')).toEqual(['unknown variable "contact.givenNmae" (did you mean "contact.givenName"?) @1:3']);
    expect(problems('{{wakeUp}}')).toEqual(['unknown variable "wakeUp" @1:3']);
  });

  it('reports syntax errors with the position where reading stopped', () => {
    expect(problems('<p>\n  Hello {{contact.givenName}\n</p>')).toEqual([expect.stringMatching(/^syntax error: unexpected "}".* @2:28$/)]);
    expect(problems('{{#if prefs.drink}}tea{{/each}}')).toEqual(["syntax error: if doesn't match each @1:4"]);
    expect(problems('{{#if prefs.drink}}\n tea')).toEqual([expect.stringMatching(/^syntax error: the template ends inside an unclosed .* @2:5$/)]);
  });

  it('refuses unknown helpers and helpers called the wrong way', () => {
    expect(problems('{{shout contact.givenName}}')).toEqual(['unknown helper "shout" @1:3']);
    expect(problems('{{formatDat now}}')).toEqual(['unknown helper "formatDat" (did you mean "formatDate"?) @1:3']);
    expect(problems('{{log contact}}')).toEqual(['unknown helper "log" @1:3']);
    expect(problems('{{formatDate now "longg"}}')).toEqual([expect.stringMatching(/^"formatDate" does not know "longg" .* @1:18$/)]);
    expect(problems('{{plural age one="# year"}}')).toEqual(['"plural" needs other="…" @1:1']);
    expect(problems('{{repeat age}}')).toEqual(['{{repeat}} is a block helper: write {{#repeat …}}…{{/repeat}} @1:1']);
    expect(problems('{{#prefs.drink}}tea{{/prefs.drink}}')).toEqual([expect.stringMatching(/^unknown block helper "prefs\.drink"/)]);
    expect(problems('{{{{raw}}}}{{x}}{{{{/raw}}}}')).toEqual([expect.stringMatching(/^unknown block helper "raw"/)]);
  });

  it('refuses every road to object internals and the environment, naming it', () => {
    expect(problems('{{constructor.constructor}}')).toEqual([
      'forbidden name "constructor" in "constructor.constructor": templates cannot reach object internals @1:3',
    ]);
    expect(problems('{{__proto__}}')).toEqual(['forbidden name "__proto__" in "__proto__": templates cannot reach object internals @1:3']);
    expect(problems('{{lookup this "__proto__"}}')).toEqual(['forbidden name "__proto__": templates cannot reach object internals @1:15']);
    expect(problems('{{lookup (lookup contact "constructor") "constructor"}}')).toEqual([
      'forbidden name "constructor": templates cannot reach object internals @1:26',
      'forbidden name "constructor": templates cannot reach object internals @1:41',
    ]);
    expect(problems('{{this.[constructor]}} {{contact.__proto__.x}}')).toHaveLength(2);
    expect(problems('{{process.env.SECRET_KEY}}')).toEqual([
      `"process.env.SECRET_KEY": templates cannot read the environment (process); only the message's data is available @1:3`,
    ]);
    expect(problems('{{@root.process.env}} {{#with global}}{{/with}} {{require "fs"}}')).toEqual([
      expect.stringMatching(/cannot read the environment \(process\) @1:3$/),
      expect.stringMatching(/cannot read the environment \(global\)/),
      'unknown helper "require" @1:51',
    ]);
    // Handlebars' own ways to run something other than data: decorators, inline and dynamic partials.
    expect(problems('{{#*inline "x"}}y{{/inline}}')).toEqual([expect.stringMatching(/^decorators and inline partials .* not allowed @1:1$/)]);
    expect(problems('{{> (lookup this "name")}}')).toEqual([expect.stringMatching(/^dynamic partials are not allowed/)]);
    expect(problems('{{> nowhere}}')).toEqual(['unknown partial "nowhere" @1:5']);
  });

  it('refuses unescaped output in HTML but not in plain text', () => {
    expect(problems('{{{contact.givenName}}} {{& contact.familyName}}')).toHaveLength(2);
    expect(problems('{{{contact.givenName}}}', 'text')).toEqual([]);
  });

  it('follows Handlebars scopes: #each and #with change the context, @index exists only inside', () => {
    expect(problems('{{#with contact.address}}{{city}} {{contact.givenName}}{{/with}}')).toEqual([
      'unknown variable "contact"; inside #with contact.address names are looked up on its value: write @root.contact.givenName @1:37',
    ]);
    expect(problems('{{#each prefLabels}}{{this}} {{@root.contact.givenName}} {{openTopic.summary}}{{/each}}')).toEqual([
      'unknown variable "openTopic": the context here is a single value; inside #each prefLabels names are looked up on each item: write @root.openTopic.summary @1:60',
    ]);
    expect(problems('{{#each contact.address}}x{{/each}} {{#each contact.givenName}}x{{/each}}')).toEqual([
      expect.stringMatching(/^{{#each}} needs a list or a group of values; "contact.givenName" is a single value @1:45$/),
    ]);
    expect(problems('{{@index}} {{#each prefs}}{{@index}} {{@key}}{{/each}}')).toEqual([
      'unknown data variable "@index" here (available: @root) @1:3',
    ]);
    expect(problems('{{contact}} {{contact.givenName.first}}')).toEqual([
      '"contact" is a group of values, not one; print one of its fields @1:3',
      'unknown variable "contact.givenName.first": "contact.givenName" is a single value with no fields @1:15',
    ]);
    expect(problems('{{../locale}}')).toEqual([expect.stringMatching(/climbs above the top/)]);
  });

  it('lets a file template read the extras it declares, and nothing else', () => {
    expect(problems('{{wakeUp}} {{ask.drink}}', 'text', ['wakeUp', 'ask'])).toEqual([]);
    expect(problems('{{wakeUp}} {{ask.drink}}', 'text')).toHaveLength(2);
  });

  it('checks a partial where it is included, reporting at the include', () => {
    usePartials({ broken: '{{contact.nmae}}' });
    expect(problems('line one\n  {{> broken}}')).toEqual([
      expect.stringMatching(/^in partial "broken" \(its line 1, column 3\): unknown variable "contact\.nmae".* @2:3$/),
    ]);
  });
});
