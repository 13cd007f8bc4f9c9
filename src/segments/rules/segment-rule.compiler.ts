import { CONTACT_FIELDS, CountOp, METRICS, NEGATED, Op, ValueKind } from './segment-rule.catalog';
import { CheckedComparison, CheckedConsent, CheckedEvent, CheckedRule, Scalar } from './segment-rule.types';

export interface CompiledWhere {
  /** A boolean SQL expression over `contacts c`; values appear only as `$n` placeholders. */
  where: string;
  /** The values of the placeholders, the first one being `$paramOffset + 1`. */
  params: unknown[];
}

export interface CompileOptions {
  /** The instant relative times ("within 90 days", recency, preference expiry) are measured from. */
  now: Date;
  /** Placeholders start at `$paramOffset + 1`, so the expression fits after the caller's own parameters. */
  paramOffset?: number;
}

/**
 * Live, active contacts only: a deleted or erased contact, or one whose sign-up is not confirmed yet
 * (status 'pending', src/public/signup), is in no segment, whatever the rule says.
 */
const LIVE = "c.deleted_at IS NULL AND c.erased_at IS NULL AND c.status = 'active'";

/**
 * Turns a checked rule into one boolean expression over `contacts c`: groups become AND / OR / NOT,
 * conditions on the contact row are plain comparisons, and everything held in other tables
 * (preferences, derived value, events, consent) is an EXISTS or a scalar subquery correlated on
 * `c.id`, so the whole segment is one statement the planner can run as it sees fit.
 *
 * Every condition is written to be TRUE or FALSE, never NULL, so NOT is an exact complement: a
 * contact without a locale matches `{ not: { field: locale, op: eq, value: en } }` and
 * `neq`, the same way.
 */
export function compileRule(rule: CheckedRule, options: CompileOptions): CompiledWhere {
  const sql = new SqlWriter(options.now, options.paramOffset ?? 0);
  const body = sql.rule(rule);
  return { where: body === 'TRUE' ? LIVE : `${LIVE} AND ${body}`, params: sql.params };
}

const COMPARATORS: Partial<Record<Op | CountOp, string>> = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** The SQL type a bound value is cast to, by value kind. Dates inside JSON are compared as ISO text. */
const CASTS: Record<ValueKind, string> = {
  text: 'text',
  code: 'text',
  number: 'numeric',
  date: 'date',
  timestamp: 'timestamptz',
  boolean: 'boolean',
  set: 'text',
};

/** A value read out of JSON, and how its dates compare (ISO text, since JSON has no date type). */
interface Projection {
  sql: string;
  cast: string;
  /** The value is a jsonb array (a list preference) rather than a text[] column. */
  json?: boolean;
}

/** Numbers as JSON numbers or as text a CSV import left behind; anything else is not a number. */
const NUMERIC_TEXT = `'^[[:space:]]*[-+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]{1,3})?[[:space:]]*$'`;
const ISO_DATE_PREFIX = `'^[0-9]{4}-[0-9]{2}-[0-9]{2}'`;

class SqlWriter {
  readonly params: unknown[] = [];
  private nowPlaceholder: string | null = null;

  constructor(
    private readonly nowValue: Date,
    private readonly offset: number,
  ) {}

  rule(rule: CheckedRule): string {
    switch (rule.kind) {
      case 'all':
        return rule.rules.length === 0 ? 'TRUE' : `(${rule.rules.map((r) => this.rule(r)).join(' AND ')})`;
      case 'any':
        return `(${rule.rules.map((r) => this.rule(r)).join(' OR ')})`;
      case 'not':
        return `(NOT ${this.rule(rule.rule)})`;
      case 'compare':
        return this.comparison(rule);
      case 'event':
        return this.event(rule);
      case 'consent':
        return this.consent(rule);
    }
  }

  /** `$n::cast` for a new parameter. `cast` always comes from this file, never from the rule. */
  bind(value: unknown, cast: string): string {
    this.params.push(value);
    return `$${this.offset + this.params.length}::${cast}`;
  }

  now(): string {
    this.nowPlaceholder ??= this.bind(this.nowValue.toISOString(), 'timestamptz');
    return this.nowPlaceholder;
  }

  private daysBefore(days: number): string {
    return `(${this.now()} - ${this.bind(days, 'int')} * interval '24 hours')`;
  }

  private comparison(rule: CheckedComparison): string {
    const positiveOp = NEGATED[rule.op] ?? rule.op;
    const positive = this.positiveComparison({ ...rule, op: positiveOp });
    return positiveOp === rule.op ? positive : `(NOT ${positive})`;
  }

  /** A condition with a positive operator, TRUE or FALSE for every contact. */
  private positiveComparison(rule: CheckedComparison): string {
    const { source } = rule;
    switch (source.from) {
      case 'field': {
        const field = CONTACT_FIELDS[source.name];
        const predicate = this.predicate(rule, { sql: field.sql, cast: CASTS[field.kind] });
        // tags is NOT NULL: left bare, so the GIN index on it stays usable.
        return field.kind === 'set' ? predicate : `COALESCE(${predicate}, false)`;
      }
      case 'attribute':
        return `COALESCE(${this.predicate(rule, this.attribute(source.key, source.type))}, false)`;
      case 'metric': {
        const metric = METRICS[source.name];
        const value = metric.sql.replaceAll('$now', () => this.now());
        if (metric.missing === null) {
          // Nothing is known without a contact_value row, so only an existing row can match.
          return `EXISTS (SELECT 1 FROM contact_value cv WHERE cv.contact_id = c.id AND ${this.predicate(rule, { sql: value, cast: metric.cast ?? CASTS[metric.kind] })})`;
        }
        // A contact never computed has the values of someone who bought nothing (0, potential, 111).
        const known = `COALESCE(${value}, ${metric.missing})`;
        return `EXISTS (SELECT 1 FROM (SELECT 1) AS one LEFT JOIN contact_value cv ON cv.contact_id = c.id WHERE ${this.predicate(rule, { sql: known, cast: metric.cast ?? CASTS[metric.kind] })})`;
      }
      case 'preference': {
        // current_preferences' rule (highest authority, then the latest; NULL withdraws), with expiry
        // measured at the rule's `now` instead of the database clock.
        const current = `SELECT s.value AS v FROM preference_statements s
             WHERE s.contact_id = c.id AND s.key = ${this.bind(source.key, 'text')}
               AND (s.expires_at IS NULL OR s.expires_at > ${this.now()})
             ORDER BY s.authority DESC, s.stated_at DESC, s.id DESC LIMIT 1`;
        const predicate = rule.op === 'exists' ? 'TRUE' : this.predicate(rule, this.preference(rule.valueKind));
        return `EXISTS (SELECT 1 FROM (${current}) p WHERE p.v IS NOT NULL AND ${predicate})`;
      }
    }
  }

  /** `rule.op` (positive) applied to the value `e`; may be NULL when the value is missing. */
  private predicate(rule: CheckedComparison, e: Projection): string {
    const { op, value, valueKind } = rule;
    const one = () => this.bind(value, e.cast);
    const pair = () => value as Scalar[];
    if (valueKind === 'text') {
      switch (op) {
        case 'eq':
          return `lower(${e.sql}) = lower(${this.bind(value, 'text')})`;
        case 'in':
          return `lower(${e.sql}) IN (SELECT lower(x) FROM unnest(${this.bind(value, 'text[]')}) AS x)`;
        case 'contains':
          return `strpos(lower(${e.sql}), lower(${this.bind(value, 'text')})) > 0`;
        case 'starts_with':
          return `starts_with(lower(${e.sql}), lower(${this.bind(value, 'text')}))`;
        default:
          break;
      }
    }
    if (valueKind === 'set') return this.setPredicate(op, value, e);
    switch (op) {
      case 'exists':
        return `${e.sql} IS NOT NULL`;
      case 'eq':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return `${e.sql} ${COMPARATORS[op]} ${one()}`;
      case 'in':
        return `${e.sql} = ANY (${this.bind(value, `${e.cast}[]`)})`;
      case 'between':
        return `${e.sql} BETWEEN ${this.bind(pair()[0], e.cast)} AND ${this.bind(pair()[1], e.cast)}`;
      case 'within_days':
        return `(${e.sql} > ${this.daysBefore(value as number)} AND ${e.sql} <= ${this.now()})`;
      case 'older_than_days':
        return `${e.sql} <= ${this.daysBefore(value as number)}`;
      default:
        throw new Error(`op ${op} reached the compiler for ${valueKind}`);
    }
  }

  private setPredicate(op: Op, value: unknown, e: Projection): string {
    if (e.json) {
      const isList = `jsonb_typeof(${e.sql}) = 'array'`;
      switch (op) {
        case 'exists':
          return `${e.sql} IS NOT NULL`;
        case 'has':
          return `(${isList} AND ${e.sql} ? ${this.bind(value, 'text')})`;
        case 'has_any':
          return `(${isList} AND ${e.sql} ?| ${this.bind(value, 'text[]')})`;
        case 'has_all':
          return `(${isList} AND ${e.sql} ?& ${this.bind(value, 'text[]')})`;
        default:
          break;
      }
    } else {
      switch (op) {
        case 'exists':
          return `cardinality(${e.sql}) > 0`;
        case 'has':
          return `${e.sql} @> ARRAY[${this.bind(value, 'text')}]`;
        case 'has_any':
          return `${e.sql} && ${this.bind(value, 'text[]')}`;
        case 'has_all':
          return `${e.sql} @> ${this.bind(value, 'text[]')}`;
        default:
          break;
      }
    }
    throw new Error(`op ${op} reached the compiler for a set`);
  }

  /**
   * A custom attribute read as its type. Casts sit inside CASE, which PostgreSQL evaluates in order,
   * so a value that is not a number (or date, or boolean) is simply not one: never a failed statement.
   */
  private attribute(key: string, type: 'text' | 'number' | 'date' | 'boolean'): Projection {
    const k = this.bind(key, 'text');
    const j = `(c.attributes -> ${k})`;
    const text = `(${j} #>> '{}')`;
    switch (type) {
      case 'text':
        return { sql: `(c.attributes ->> ${k})`, cast: 'text' };
      case 'number':
        return {
          sql: `(CASE WHEN jsonb_typeof(${j}) = 'number' THEN ${text}::numeric
                      WHEN jsonb_typeof(${j}) = 'string' AND ${text} ~ ${NUMERIC_TEXT} THEN btrim(${text})::numeric END)`,
          cast: 'numeric',
        };
      case 'date':
        return { sql: `(CASE WHEN jsonb_typeof(${j}) = 'string' AND ${text} ~ ${ISO_DATE_PREFIX} THEN left(${text}, 10) END)`, cast: 'text' };
      case 'boolean':
        return {
          sql: `(CASE WHEN jsonb_typeof(${j}) = 'boolean' THEN ${text}::boolean
                      WHEN jsonb_typeof(${j}) = 'string' AND lower(${text}) IN ('true', 'false') THEN lower(${text})::boolean END)`,
          cast: 'boolean',
        };
    }
  }

  /** The current preference value `p.v` (jsonb) read as the key's type. */
  private preference(kind: ValueKind): Projection {
    const text = `(p.v #>> '{}')`;
    switch (kind) {
      case 'number':
        return { sql: `(CASE WHEN jsonb_typeof(p.v) = 'number' THEN ${text}::numeric END)`, cast: 'numeric' };
      case 'boolean':
        return { sql: `(CASE WHEN jsonb_typeof(p.v) = 'boolean' THEN ${text}::boolean END)`, cast: 'boolean' };
      case 'date':
        return { sql: `(CASE WHEN jsonb_typeof(p.v) = 'string' AND ${text} ~ ${ISO_DATE_PREFIX} THEN left(${text}, 10) END)`, cast: 'text' };
      case 'set':
        return { sql: 'p.v', cast: 'text', json: true };
      default:
        return { sql: `(CASE WHEN jsonb_typeof(p.v) = 'string' THEN ${text} END)`, cast: 'text' };
    }
  }

  /**
   * "Bought X in the last N days", "no visit for N days", "at least N purchases". Events after `now`
   * have not happened yet, as the value layer sees them.
   */
  private event(rule: CheckedEvent): string {
    const from = rule.products
      ? `purchase_lines e WHERE e.contact_id = c.id AND e.product_key = ANY (${this.bind(rule.products, 'text[]')})`
      : `interactions e WHERE e.contact_id = c.id AND e.kind = ${this.bind(rule.event, 'text')}`;
    const when = rule.window
      ? `e.occurred_at > ${this.daysBefore(rule.window.days)} AND e.occurred_at <= ${this.now()}`
      : `e.occurred_at <= ${this.now()}`;
    if (rule.count) {
      // A purchase with two matching lines is still one purchase.
      const counted = rule.products ? 'count(DISTINCT e.interaction_id)' : 'count(*)';
      const n = `(SELECT ${counted} FROM ${from} AND ${when})`;
      const { op, value } = rule.count;
      if (op === 'between') {
        const [low, high] = value as [number, number];
        return `(${n} BETWEEN ${this.bind(low, 'int')} AND ${this.bind(high, 'int')})`;
      }
      return `(${n} ${COMPARATORS[op]} ${this.bind(value, 'int')})`;
    }
    const exists = `EXISTS (SELECT 1 FROM ${from} AND ${when})`;
    return rule.absent ? `(NOT ${exists})` : exists;
  }

  /** The latest consent event on the channel decides, as everywhere else; `none` is no event at all. */
  private consent(rule: CheckedConsent): string {
    const latest = `(SELECT e.status FROM contact_consent_events e
        WHERE e.contact_id = c.id AND e.channel = ${this.bind(rule.channel, 'text')}
        ORDER BY e.recorded_at DESC, e.id DESC LIMIT 1)`;
    return `(COALESCE(${latest}, 'none') = ${this.bind(rule.status, 'text')})`;
  }
}
