import { fieldPath } from './field-path';
import { ErrorDetail } from './api-error';

/** Deeper than any real request; a limit keeps the recursive transformers below from overflowing the stack. */
export const MAX_INPUT_DEPTH = 16;

/** Past this many problems a client learns nothing more, and the response would grow with the attack. */
export const MAX_REPORTED_PROBLEMS = 50;

/**
 * Keys that reach an object's prototype. class-transformer and Nest drop them silently, so the caller
 * would believe a field was stored when it was not: they are refused instead.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/**
 * The other names every plain object inherits (valueOf, toString, hasOwnProperty…): class-transformer
 * skips a key whose value on the new object is a function, so `{"attributes": {"valueOf": 1}}` lost
 * the attribute without a word.
 */
const INHERITED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype).filter((name) => !PROTOTYPE_KEYS.has(name)));

/** A UTF-16 surrogate without its partner: PostgreSQL refuses it in jsonb and silently replaces it in text. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Problems of a parsed body or query that no DTO rule can see, found before class-transformer runs:
 * prototype keys, nesting that would exhaust the stack, and text PostgreSQL cannot store (NUL, lone
 * surrogates) — each would otherwise end as a silent change or a 500. `field` names the value itself
 * (`@Body('name')`); without it, problems name the keys inside it, and `body` the whole.
 */
export function findRawInputProblems(value: unknown, field = ''): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  visit(value, field, 0, problems);
  return problems;
}

function visit(value: unknown, path: string, depth: number, problems: ErrorDetail[]): void {
  if (problems.length >= MAX_REPORTED_PROBLEMS) return;
  if (typeof value === 'string') {
    const problem = textProblem(value);
    if (problem) problems.push({ field: path || 'body', problem: `${path || 'body'} ${problem}` });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth >= MAX_INPUT_DEPTH) {
    problems.push({ field: path || 'body', problem: `${path || 'body'} is nested more than ${MAX_INPUT_DEPTH} levels deep` });
    return;
  }
  for (const key of Object.keys(value)) {
    const field = fieldPath(path, key);
    if (PROTOTYPE_KEYS.has(key)) {
      problems.push({ field, problem: 'unknown field' });
      continue;
    }
    if (INHERITED_NAMES.has(key)) {
      problems.push({ field, problem: `${field} is a name every object inherits (${key}) and cannot be stored; choose another key` });
      continue;
    }
    const keyProblem = textProblem(key);
    if (keyProblem) {
      problems.push({ field: path || 'body', problem: `a field name ${keyProblem}` });
      continue;
    }
    visit((value as Record<string, unknown>)[key], field, depth + 1, problems);
  }
}

function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode text (it contains a lone surrogate)';
  return null;
}
