import type Handlebars from 'handlebars';
import type { HelperOptions } from 'handlebars';
import { birthdayAge, DATE_STYLES, formatDate } from './dates';
import { greeting } from './greeting';
import { lunarDate } from './lunar';
import { currency, ordinal, plural, PLURAL_FORMS, toNumber } from './numbers';
import { localeOf, scopeOf } from './render-scope';

/** How a helper may be called; the strict check holds every call in a template to it. */
export interface HelperSpec {
  params: readonly [min: number, max: number];
  /** 'required': only as {{#name}}…{{/name}}; 'never': only inline or as a (subexpression). */
  block: 'required' | 'never';
  hash?: readonly string[];
  requiredHash?: readonly string[];
  /** Literal values a parameter may take, by position (e.g. the date style). */
  literals?: Readonly<Record<number, readonly string[]>>;
  /** `#each`/`#with` change the context to their parameter; the check follows them. */
  context?: 'item' | 'value';
  /** Adds @index, @first, @last (and @key for each) inside the block. */
  data?: readonly string[];
}

/** The most candles on a card, and the most repeated blocks in one whole render. */
export const MAX_REPEAT = 150;
export const MAX_REPEATS_PER_RENDER = 1000;

const LOCALE = ['locale'];

export const HELPER_SPECS: Readonly<Record<string, HelperSpec>> = {
  // Handlebars built-ins that stay registered (`log` is removed: templates do not write to the server log).
  if: { params: [1, 1], block: 'required', hash: ['includeZero'] },
  unless: { params: [1, 1], block: 'required', hash: ['includeZero'] },
  each: { params: [1, 1], block: 'required', context: 'item', data: ['index', 'key', 'first', 'last'] },
  with: { params: [1, 1], block: 'required', context: 'value' },
  lookup: { params: [2, 2], block: 'never' },
  // Ours.
  formatDate: { params: [1, 2], block: 'never', hash: ['locale', 'zone'], literals: { 1: Object.keys(DATE_STYLES) } },
  lunarDate: { params: [1, 1], block: 'never', hash: LOCALE },
  ordinal: { params: [1, 1], block: 'never', hash: LOCALE },
  age: { params: [0, 2], block: 'never' },
  plural: { params: [1, 1], block: 'never', hash: [...PLURAL_FORMS, 'locale'], requiredHash: ['other'] },
  currency: { params: [2, 2], block: 'never', hash: LOCALE },
  repeat: { params: [1, 1], block: 'required', data: ['index', 'first', 'last'] },
  greeting: { params: [0, 0], block: 'never', hash: LOCALE },
  default: { params: [2, 2], block: 'never' },
  eq: { params: [2, 2], block: 'never' },
};

type Helper = (...args: unknown[]) => unknown;

/** Handlebars passes its options object last. */
function split(args: unknown[]): { params: unknown[]; options: HelperOptions } {
  return { params: args.slice(0, -1), options: args[args.length - 1] as HelperOptions };
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

function rootOf(options: HelperOptions): Record<string, unknown> {
  const root = (options.data as { root?: unknown } | undefined)?.root;
  return typeof root === 'object' && root !== null ? (root as Record<string, unknown>) : {};
}

const HELPERS: Record<string, Helper> = {
  formatDate(...args) {
    const { params, options } = split(args);
    const zone = typeof options.hash?.zone === 'string' ? options.hash.zone : scopeOf(options).timeZone;
    return formatDate(params[0], params[1], localeOf(options), zone);
  },
  lunarDate(...args) {
    const { params, options } = split(args);
    return lunarDate(params[0], localeOf(options), scopeOf(options).timeZone);
  },
  ordinal(...args) {
    const { params, options } = split(args);
    return ordinal(params[0], localeOf(options));
  },
  /** {{age}}: the root `age`; (age birthday at): computed. Both mean the age of the nearest birthday. */
  age(...args) {
    const { params, options } = split(args);
    const scope = scopeOf(options);
    const root = rootOf(options);
    if (params.length === 0 && toNumber(root.age) !== null) return toNumber(root.age);
    const contact = root.contact as { birthday?: unknown } | undefined;
    return birthdayAge(params.length > 0 ? params[0] : contact?.birthday, params.length > 1 ? params[1] : scope.now, scope.timeZone) ?? '';
  },
  plural(...args) {
    const { params, options } = split(args);
    return plural(params[0], options.hash ?? {}, localeOf(options));
  },
  currency(...args) {
    const { params, options } = split(args);
    return currency(params[0], params[1], localeOf(options));
  },
  greeting(...args) {
    const { options } = split(args);
    return greeting(rootOf(options).contact as Parameters<typeof greeting>[0], localeOf(options));
  },
  default(...args) {
    const { params } = split(args);
    return isEmpty(params[0]) ? params[1] : params[0];
  },
  eq(...args) {
    const { params } = split(args);
    const [a, b] = params;
    return a === b || (typeof a !== 'object' && typeof b !== 'object' && a !== undefined && b !== undefined && String(a) === String(b));
  },
};

/**
 * Registers the helpers on one isolated environment (Handlebars.create(), never the global one).
 * `repeat` needs the environment for its data frames, so it is built here.
 */
export function registerHelpers(env: typeof Handlebars): void {
  env.unregisterHelper('log');
  for (const [name, helper] of Object.entries(HELPERS)) env.registerHelper(name, helper);
  env.registerHelper('repeat', function (this: unknown, count: unknown, options: HelperOptions) {
    const scope = scopeOf(options);
    const wanted = toNumber(count);
    const n = wanted === null ? 0 : Math.max(0, Math.min(MAX_REPEAT, Math.floor(wanted), scope.budget.repeats));
    scope.budget.repeats -= n;
    let out = '';
    for (let i = 0; i < n; i++) {
      const data = env.createFrame(options.data ?? {});
      Object.assign(data, { index: i, first: i === 0, last: i === n - 1 });
      out += options.fn(this, { data });
    }
    return out;
  });
}
