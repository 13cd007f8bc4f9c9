import type { HelperSpec } from '../helpers/template-helpers';
import { HELPER_SPECS } from '../helpers/template-helpers';
import type { SchemaNode } from './render-schema';

type AST = hbs.AST.Program;
type Node = hbs.AST.Node;
type Expression = hbs.AST.Expression;
type Path = hbs.AST.PathExpression;
type Call = hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;

export type OutputMode = 'html' | 'text';

/** One reason a template is refused, at a 1-based line and column of its source. */
export interface TemplateProblem {
  line: number;
  column: number;
  message: string;
}

export interface CheckInput {
  ast: AST;
  mode: OutputMode;
  root: SchemaNode;
  /** Parsed partials by name, checked where they are included (in the includer's scope). */
  partials: ReadonlyMap<string, AST>;
}

export interface CheckResult {
  problems: TemplateProblem[];
  /** Root names the template reads (`age`, `contact`, …), so a render computes only what is used. */
  rootNames: Set<string>;
}

/**
 * Names that lead from data to the machinery behind it. Handlebars already refuses them at run
 * time (prototype access is blocked); refusing them at save time says so to the author instead of
 * rendering nothing.
 */
const OBJECT_INTERNALS = new Set([
  'constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
  'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toString', 'toLocaleString', 'valueOf',
]);
const ENVIRONMENT = new Set([
  'process', 'global', 'globalThis', 'require', 'module', 'exports', 'window', 'self', 'Function', 'eval', 'import', 'Buffer',
]);

const MAX_PROBLEMS = 50;
const MAX_PARTIAL_DEPTH = 5;
const OPEN: SchemaNode = { kind: 'open' };
const VALUE: SchemaNode = { kind: 'value' };

interface Frame {
  /** The context inside this block; null when the block keeps its parent's (if, unless, repeat). */
  context: SchemaNode | null;
  blockParams: Map<string, SchemaNode>;
  data: Set<string>;
  /** "#each prefs", for hints. */
  label: string;
}

/** Where a problem inside a partial is reported: at the {{> name}} that included it. */
interface Site {
  partial: string;
  line: number;
  column: number;
}

/**
 * Walks a parsed template (Handlebars.parse) against the schema of what it will be given: every
 * variable must exist there, every helper must be known and called the way it is meant to be,
 * partials must exist, and nothing may reach object internals or the process. Scopes follow
 * Handlebars 4: #each and #with change the context (and `../` counts only those), block
 * parameters are lexical, @index and friends exist only inside the blocks that set them.
 */
export function checkTemplate(input: CheckInput): CheckResult {
  const checker = new Checker(input);
  checker.program(input.ast, [{ context: input.root, blockParams: new Map(), data: new Set(['root']), label: 'the template' }]);
  return { problems: checker.problems, rootNames: checker.rootNames };
}

class Checker {
  readonly problems: TemplateProblem[] = [];
  readonly rootNames = new Set<string>();
  private readonly sites: Site[] = [];

  constructor(private readonly input: CheckInput) {}

  program(program: AST | undefined, frames: Frame[]): void {
    for (const statement of program?.body ?? []) this.statement(statement, frames);
  }

  private statement(node: Node, frames: Frame[]): void {
    switch (node.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement':
        return this.mustache(node as hbs.AST.MustacheStatement, frames);
      case 'BlockStatement':
        return this.block(node as hbs.AST.BlockStatement, frames);
      case 'PartialStatement':
        return this.partial(node as hbs.AST.PartialStatement, frames);
      case 'PartialBlockStatement':
        return this.report(node, 'partial blocks ({{#> …}}) are not allowed; choose a layout for the message instead');
      case 'Decorator':
      case 'DecoratorBlock':
        return this.report(node, 'decorators and inline partials ({{* …}}, {{#* inline}}) are not allowed');
      default:
        return this.report(node, `unsupported template element ${node.type}`);
    }
  }

  private mustache(node: hbs.AST.MustacheStatement, frames: Frame[]): void {
    if (!node.escaped && this.input.mode === 'html') {
      this.report(node, 'triple braces {{{…}}} and {{& …}} would print unescaped HTML; use {{…}} (values are escaped for you)');
    }
    if (node.path.type !== 'PathExpression') {
      const literal = node.path as hbs.AST.StringLiteral;
      if (node.params.length > 0 || node.hash) return this.report(node, `unknown helper ${JSON.stringify(String(literal.original))}`);
      // {{"name"}} is a lookup of the property "name" on the context.
      const name = String(literal.value);
      this.resolve({ type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc: literal.loc } as Path, frames);
      return;
    }
    const path = node.path as Path;
    const helper = this.helperName(path, frames);
    if (helper) return void this.call(node, helper, false, frames);
    if (node.params.length > 0 || node.hash) return this.report(path, `unknown helper "${path.original}"${suggestion(path.original, Object.keys(HELPER_SPECS))}`);
    const shape = this.resolve(path, frames);
    if (shape && (shape.kind === 'object' || shape.kind === 'map')) {
      this.report(path, `"${path.original}" is a group of values, not one; print one of its fields`);
    }
  }

  private block(node: hbs.AST.BlockStatement, frames: Frame[]): void {
    const helper = node.path.type === 'PathExpression' ? this.helperName(node.path, frames) : null;
    if (!helper) {
      const name = node.path.original;
      this.report(node.path, `unknown block helper "${name}"; blocks are {{#if}}, {{#unless}}, {{#each}}, {{#with}} and {{#repeat}}`);
      return;
    }
    const spec = HELPER_SPECS[helper];
    const [subject] = this.call(node, helper, true, frames);
    const blockParams = node.program?.blockParams ?? [];
    for (const name of blockParams) this.checkName(node, name);
    const allowedParams = spec.context === 'item' ? 2 : spec.context === 'value' ? 1 : 0;
    if (blockParams.length > allowedParams) {
      this.report(node, allowedParams === 0 ? `{{#${helper}}} takes no block parameters` : `{{#${helper}}} takes at most ${allowedParams} block parameter(s)`);
    }
    let inner: Frame;
    if (spec.context === 'item') {
      const item = this.itemOf(node, subject);
      inner = frame(item, `#each ${describe(node.params[0])}`, spec.data, blockParams, [item, VALUE]);
    } else if (spec.context === 'value') {
      if (subject?.kind === 'value') this.report(node.params[0] ?? node, `{{#with}} needs a group of values; "${describe(node.params[0])}" is a single value`);
      inner = frame(subject ?? OPEN, `#with ${describe(node.params[0])}`, spec.data, blockParams, [subject ?? OPEN]);
    } else {
      inner = frame(null, `#${helper}`, spec.data, [], []);
    }
    this.program(node.program, [...frames, inner]);
    // {{else}} runs in the enclosing scope, whatever the block does with its own.
    this.program(node.inverse, frames);
  }

  private itemOf(node: hbs.AST.BlockStatement, collection: SchemaNode | null): SchemaNode {
    switch (collection?.kind) {
      case 'list':
        return collection.items;
      case 'map':
        return collection.values;
      case 'value':
        this.report(node.params[0] ?? node, `{{#each}} needs a list or a group of values; "${describe(node.params[0])}" is a single value`);
        return OPEN;
      default:
        return OPEN;
    }
  }

  private partial(node: hbs.AST.PartialStatement, frames: Frame[]): void {
    if (node.name.type !== 'PathExpression' || node.name.data) {
      return this.report(node, 'dynamic partials are not allowed; name the partial: {{> name}}');
    }
    const name = node.name.original;
    if (node.params.length > 0 || node.hash) this.report(node, `partials take no parameters: write {{> ${name}}}`);
    const partial = this.input.partials.get(name);
    if (!partial) return this.report(node.name, `unknown partial "${name}"${suggestion(name, [...this.input.partials.keys()])}`);
    if (this.sites.length >= MAX_PARTIAL_DEPTH || this.sites.some((s) => s.partial === name)) {
      return this.report(node, `partial "${name}" includes itself`);
    }
    const at = position(node);
    this.sites.push({ partial: name, line: at.line, column: at.column });
    this.program(partial, frames);
    this.sites.pop();
  }

  /** Checks a helper call's shape and arguments; returns the shapes of its parameters. */
  private call(node: Call, name: string, asBlock: boolean, frames: Frame[]): Array<SchemaNode | null> {
    const spec: HelperSpec = HELPER_SPECS[name];
    if (spec.block === 'required' && !asBlock) this.report(node, `{{${name}}} is a block helper: write {{#${name} …}}…{{/${name}}}`);
    if (spec.block === 'never' && asBlock) this.report(node, `"${name}" is not a block helper: write {{${name} …}}`);
    const [min, max] = spec.params;
    if (node.params.length < min || node.params.length > max) {
      const wanted = min === max ? `${min}` : `${min} to ${max}`;
      this.report(node, `"${name}" takes ${wanted} parameter(s), got ${node.params.length}`);
    }
    const hashKeys = (node.hash?.pairs ?? []).map((p) => p.key);
    for (const pair of node.hash?.pairs ?? []) {
      if (!spec.hash?.includes(pair.key)) this.report(pair, `unknown option "${pair.key}" for "${name}"${spec.hash ? ` (options: ${spec.hash.join(', ')})` : ''}`);
      this.expression(pair.value, frames);
    }
    for (const key of spec.requiredHash ?? []) {
      if (!hashKeys.includes(key)) this.report(node, `"${name}" needs ${key}="…"`);
    }
    if (name === 'lookup') return [this.lookup(node, frames), VALUE];
    return node.params.map((param, index) => {
      const allowed = spec.literals?.[index];
      if (allowed && isLiteral(param) && !allowed.includes(String((param as hbs.AST.StringLiteral).value))) {
        this.report(param, `"${name}" does not know ${JSON.stringify((param as hbs.AST.StringLiteral).value)} (one of: ${allowed.join(', ')})`);
      }
      if (spec.context && index === 0 && isLiteral(param)) {
        this.report(param, `{{#${name}}} needs a variable, not a literal`);
      }
      return this.expression(param, frames);
    });
  }

  /** {{lookup x "name"}} with a literal name is a path in disguise: check it as one. */
  private lookup(node: Call, frames: Frame[]): SchemaNode | null {
    const [target, key] = node.params;
    const base = target ? this.expression(target, frames) : null;
    if (!key) return OPEN;
    if (isLiteral(key)) {
      const name = String((key as hbs.AST.StringLiteral).value);
      if (OBJECT_INTERNALS.has(name)) {
        this.report(key, `forbidden name "${name}": templates cannot reach object internals`);
        return null;
      }
      return base ? this.child(base, name, describe(target) === 'this' ? '' : describe(target), key) : null;
    }
    this.expression(key, frames);
    // A key known only at render time: Handlebars' own-property rule guards it then.
    if (base?.kind === 'map') return base.values;
    if (base?.kind === 'list') return base.items;
    return OPEN;
  }

  private expression(node: Expression, frames: Frame[]): SchemaNode | null {
    if (node.type === 'PathExpression') return this.resolve(node as Path, frames);
    if (node.type === 'SubExpression') {
      const sub = node as hbs.AST.SubExpression;
      const helper = sub.path.type === 'PathExpression' ? this.helperName(sub.path, frames) : null;
      if (!helper) {
        this.report(sub.path, `unknown helper "${sub.path.original}"${suggestion(String(sub.path.original), Object.keys(HELPER_SPECS))}`);
        return null;
      }
      const [first] = this.call(sub, helper, false, frames);
      return helper === 'lookup' ? first : helper === 'default' ? first : VALUE;
    }
    return VALUE;
  }

  /** The helper a path names, or null when it is a variable. Block parameters shadow helpers. */
  private helperName(path: Path, frames: Frame[]): string | null {
    if (path.data || path.depth > 0 || path.parts.length !== 1 || isScoped(path)) return null;
    const name = path.parts[0];
    if (frames.some((f) => f.blockParams.has(name))) return null;
    return Object.prototype.hasOwnProperty.call(HELPER_SPECS, name) ? name : null;
  }

  /** The shape a variable path leads to, or null after reporting why it leads nowhere. */
  private resolve(path: Path, frames: Frame[]): SchemaNode | null {
    for (const part of path.parts) {
      if (OBJECT_INTERNALS.has(part)) {
        this.report(path, `forbidden name "${part}" in "${path.original}": templates cannot reach object internals`);
        return null;
      }
    }
    if (path.data) return this.resolveData(path, frames);
    const [first, ...rest] = path.parts;
    if (first !== undefined && ENVIRONMENT.has(first)) {
      this.report(path, `"${path.original}": templates cannot read the environment (${first}); only the message's data is available`);
      return null;
    }
    if (path.depth === 0 && first !== undefined && !isScoped(path)) {
      for (let i = frames.length - 1; i >= 0; i--) {
        const bound = frames[i].blockParams.get(first);
        if (bound) return this.walk(bound, rest, first, path);
      }
    }
    const contexts = frames.filter((f) => f.context !== null);
    const index = contexts.length - 1 - path.depth;
    if (index < 0) {
      this.report(path, `"${path.original}" climbs above the top of the template (too many ../)`);
      return null;
    }
    if (index === 0 && first !== undefined) this.rootNames.add(first);
    const base = contexts[index].context!;
    if (path.parts.length === 0) return base;
    const found = this.walk(base, path.parts, '', path);
    if (!found && index > 0 && first !== undefined && contexts[0].context!.kind === 'object' && first in (contexts[0].context as { fields: object }).fields) {
      const last = this.problems[this.problems.length - 1];
      if (last) last.message += `; inside ${contexts[index].label} names are looked up on ${contexts[index].label.startsWith('#each') ? 'each item' : 'its value'}: write @root.${path.original}`;
    }
    return found;
  }

  private resolveData(path: Path, frames: Frame[]): SchemaNode | null {
    const [first, ...rest] = path.parts;
    if (first === 'root') {
      if (rest[0] !== undefined && ENVIRONMENT.has(rest[0])) {
        this.report(path, `"@${path.original.replace(/^@/, '')}": templates cannot read the environment (${rest[0]})`);
        return null;
      }
      if (rest[0] !== undefined) this.rootNames.add(rest[0]);
      return this.walk(frames[0].context!, rest, '@root', path);
    }
    if (!frames.some((f) => f.data.has(first))) {
      const known = [...new Set(frames.flatMap((f) => [...f.data]))].map((d) => `@${d}`);
      this.report(path, `unknown data variable "@${first}" here (available: ${known.join(', ')})`);
      return null;
    }
    if (rest.length > 0) {
      this.report(path, `"@${first}" is a single value`);
      return null;
    }
    return VALUE;
  }

  private walk(base: SchemaNode, parts: string[], prefix: string, at: Node): SchemaNode | null {
    let node = base;
    let seen = prefix;
    for (const part of parts) {
      const next = this.child(node, part, seen, at);
      if (!next) return null;
      node = next;
      seen = seen ? `${seen}.${part}` : part;
    }
    return node;
  }

  /** The shape of `part` below `node` (reached as `parent`), or null after reporting it. */
  private child(node: SchemaNode, part: string, parent: string, at: Node): SchemaNode | null {
    const name = parent ? `${parent}.${part}` : part;
    switch (node.kind) {
      case 'open':
        return OPEN;
      case 'map':
        return node.values;
      case 'list':
        if (part === 'length') return VALUE;
        if (/^\d+$/.test(part)) return node.items;
        this.report(at, `unknown variable "${name}": a list has only items and length`);
        return null;
      case 'value':
        this.report(at, `unknown variable "${name}": ${parent ? `"${parent}" is a single value with no fields` : 'the context here is a single value'}`);
        return null;
      case 'object': {
        if (Object.prototype.hasOwnProperty.call(node.fields, part)) return node.fields[part];
        // At the top, the author may have meant a helper ({{greting}}).
        const candidates = Object.keys(node.fields).map((f) => (parent ? `${parent}.${f}` : f)).concat(parent ? [] : Object.keys(HELPER_SPECS));
        this.report(at, `unknown variable "${name}"${suggestion(name, candidates)}`);
        return null;
      }
    }
  }

  private checkName(node: Node, name: string): void {
    if (OBJECT_INTERNALS.has(name) || ENVIRONMENT.has(name)) this.report(node, `"${name}" cannot be used as a block parameter name`);
  }

  private report(node: Node, message: string): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    const site = this.sites[0];
    const at = position(node);
    if (site) {
      const inner = this.sites.map((s) => `"${s.partial}"`).join(' → ');
      this.problems.push({ line: site.line, column: site.column, message: `in partial ${inner} (its line ${at.line}, column ${at.column}): ${message}` });
    } else {
      this.problems.push({ ...at, message });
    }
  }
}

function frame(context: SchemaNode | null, label: string, data: readonly string[] | undefined, names: string[], shapes: SchemaNode[]): Frame {
  return { context, label, data: new Set(data ?? []), blockParams: new Map(names.map((n, i) => [n, shapes[i] ?? VALUE])) };
}

function position(node: Node): { line: number; column: number } {
  return { line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1 };
}

function isLiteral(node: Expression): boolean {
  return /Literal$/.test(node.type);
}

/** `this.x` and `./x` never mean a helper or a block parameter. */
function isScoped(path: Path): boolean {
  return /^(this\b|\.\/|\.$)/.test(path.original);
}

function describe(node: Expression | undefined): string {
  if (!node) return '';
  if (node.type === 'PathExpression') return (node as Path).original;
  if (node.type === 'SubExpression') return `(${describe((node as hbs.AST.SubExpression).path)} …)`;
  return String((node as hbs.AST.StringLiteral).original);
}

/** " (did you mean "contact.givenName"?)" for a near miss, else nothing. */
export function suggestion(name: string, candidates: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance && candidate !== name) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
