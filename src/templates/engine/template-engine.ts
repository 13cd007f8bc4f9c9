import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { HELPER_SPECS, registerHelpers } from '../helpers/template-helpers';
import { checkTemplate, CheckResult, OutputMode, TemplateProblem } from './template-checker';
import type { SchemaNode } from './render-schema';

export type { OutputMode, TemplateProblem } from './template-checker';

export type CompiledTemplate = HandlebarsTemplateDelegate<unknown>;

/** Where a source begins in the text that holds it (a field after front matter), for positions in errors. */
export interface SourceOffset {
  line: number;
  column: number;
}

export interface ParsedTemplate {
  ast: hbs.AST.Program;
  source: string;
}

const KNOWN_HELPERS = Object.fromEntries(Object.keys(HELPER_SPECS).map((name) => [name, true])) as KnownHelpers;

/**
 * Compile options per output. HTML is escaped (never noEscape); plain text (SMS, letters, the
 * text part and subject of an e-mail) is not HTML, so escaping would only print "&amp;". Both
 * accept only the registered helpers, and prototype access stays blocked (allowProto* never set).
 * `strict` stays off at run time: a missing optional value renders as nothing (or its `default`),
 * while unknown names were already refused by the check at save time.
 */
const COMPILE_OPTIONS: Record<OutputMode, CompileOptions> = {
  html: { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true, data: true, compat: false, noEscape: false, strict: false },
  text: { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true, data: true, compat: false, noEscape: true, strict: false },
};

/**
 * The Handlebars side of templates: two isolated environments (HTML and plain text, so a partial
 * compiled for one is never used by the other), their helpers and partials, parsing with positions,
 * the strict check, and the cache of compiled templates.
 */
@Injectable()
export class TemplateEngine {
  private readonly envs: Record<OutputMode, typeof Handlebars> = { html: Handlebars.create(), text: Handlebars.create() };
  private partialAsts = new Map<string, hbs.AST.Program>();
  private readonly compiled = new Map<string, CompiledTemplate>();
  private compiles = 0;
  private hits = 0;

  constructor() {
    registerHelpers(this.envs.html);
    registerHelpers(this.envs.text);
  }

  get SafeString(): typeof Handlebars.SafeString {
    return this.envs.html.SafeString;
  }

  /** Parses a source; a syntax error becomes a problem at the line and column where it was found. */
  parse(source: string): { ast: hbs.AST.Program } | { problem: TemplateProblem } {
    const env = this.envs.text;
    try {
      return { ast: env.parse(source) };
    } catch (error) {
      return { problem: syntaxProblem(error, source, env) };
    }
  }

  /** `partials` overrides the registered ones (a file reload checks its new set before committing it). */
  check(ast: hbs.AST.Program, mode: OutputMode, root: SchemaNode, partials: ReadonlyMap<string, hbs.AST.Program> = this.partialAsts): CheckResult {
    return checkTemplate({ ast, mode, root, partials });
  }

  /**
   * Replaces every partial (the file catalogue owns them). Each is compiled once per output mode
   * and registered on that mode's environment.
   */
  setPartials(partials: ReadonlyMap<string, ParsedTemplate>): void {
    for (const env of Object.values(this.envs)) {
      for (const name of Object.keys(env.partials)) env.unregisterPartial(name);
    }
    for (const [name, partial] of partials) {
      for (const mode of ['html', 'text'] as const) {
        this.envs[mode].registerPartial(name, this.envs[mode].compile(partial.source, COMPILE_OPTIONS[mode]));
      }
    }
    this.partialAsts = new Map([...partials].map(([name, p]) => [name, p.ast]));
  }

  hasPartial(name: string): boolean {
    return this.partialAsts.has(name);
  }

  /** The compiled template under `key` (template id + version, or file path + mtime), compiling it once. */
  compile(key: string, source: string, mode: OutputMode): CompiledTemplate {
    const cacheKey = `${mode}|${key}`;
    const hit = this.compiled.get(cacheKey);
    if (hit) {
      this.hits++;
      return hit;
    }
    // compile() is lazy; precompile now so a compiler error surfaces here, not in the middle of a batch.
    this.envs[mode].precompile(source, COMPILE_OPTIONS[mode]);
    const template = this.envs[mode].compile(source, COMPILE_OPTIONS[mode]) as CompiledTemplate;
    this.compiled.set(cacheKey, template);
    this.compiles++;
    return template;
  }

  /** For content that may still change (a draft being previewed): compiled, used once, not kept. */
  compileUncached(source: string, mode: OutputMode): CompiledTemplate {
    this.envs[mode].precompile(source, COMPILE_OPTIONS[mode]);
    return this.envs[mode].compile(source, COMPILE_OPTIONS[mode]) as CompiledTemplate;
  }

  /** Drops compiled entries whose key starts with `prefix` (a template's id on publish, a changed file). */
  forget(prefix: string): void {
    for (const key of this.compiled.keys()) {
      if (key.slice(key.indexOf('|') + 1).startsWith(prefix)) this.compiled.delete(key);
    }
  }

  stats(): { compiles: number; hits: number; cached: number } {
    return { compiles: this.compiles, hits: this.hits, cached: this.compiled.size };
  }
}

/**
 * Handlebars reports a parse error as text ("Parse error on line 2: …"); its lexer still holds
 * where it stopped, which gives the column. Parsing is synchronous, so nothing can move it between
 * the throw and this read.
 */
function syntaxProblem(error: unknown, source: string, env: typeof Handlebars): TemplateProblem {
  const message = error instanceof Error ? error.message : String(error);
  const exception = error as { lineNumber?: number; column?: number };
  if (typeof exception.lineNumber === 'number') {
    // A semantic error of the parser ("if doesn't match each - 1:3") carries its own position.
    return { line: exception.lineNumber, column: (exception.column ?? 0) + 1, message: `syntax error: ${message.replace(/ - \d+:\d+$/, '')}` };
  }
  const parser = (env as unknown as { Parser: unknown }).Parser as { lexer?: { yylloc?: { first_line: number; first_column: number }; match?: string; matched?: string } };
  const lexer = parser.lexer;
  const lexical = /^Lexical error/.test(message);
  let line = 1;
  let column = 1;
  if (lexical && typeof lexer?.matched === 'string') {
    ({ line, column } = offsetToPosition(source, lexer.matched.length));
  } else if (lexer?.yylloc) {
    line = lexer.yylloc.first_line;
    column = lexer.yylloc.first_column + 1;
  }
  const got = /got '([^']+)'/.exec(message)?.[1];
  const expecting = /Expecting (.+), got/.exec(message)?.[1];
  let reason: string;
  if (lexical) reason = 'text Handlebars cannot read';
  else if (got === 'EOF') reason = 'the template ends inside an unclosed {{…}} or block';
  else reason = `unexpected ${describeToken(got, lexer?.match)}${expecting ? ` (expected ${summariseExpected(expecting)})` : ''}`;
  return { line, column, message: `syntax error: ${reason}` };
}

function offsetToPosition(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset);
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

function describeToken(token: string | undefined, text: string | undefined): string {
  if (text) return JSON.stringify(text);
  return token ? token.toLowerCase().replace(/_/g, ' ') : 'input';
}

const TOKEN_WORDS: Record<string, string> = {
  CLOSE: '}}', CLOSE_UNESCAPED: '}}}', ID: 'a name', STRING: 'a string', NUMBER: 'a number', OPEN_SEXPR: '(', CLOSE_SEXPR: ')',
  EQUALS: '=', OPEN_BLOCK_PARAMS: 'as |…|', DATA: '@name', SEP: '. or /', OPEN_ENDBLOCK: '{{/…}}', OPEN_INVERSE: '{{else}}',
  INVERSE: '{{else}}', OPEN_INVERSE_CHAIN: '{{else …}}', CONTENT: 'text', EOF: 'the end',
};

function summariseExpected(list: string): string {
  const words = [...new Set(list.split(', ').map((t) => t.replace(/'/g, '')).map((t) => TOKEN_WORDS[t]).filter(Boolean))];
  return words.slice(0, 5).join(', ') || 'something else';
}
