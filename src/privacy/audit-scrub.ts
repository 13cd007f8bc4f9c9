export const ERASED = 'erased';

/**
 * What may stay in an audit row about an erased contact. Our audit rows record which fields
 * changed, never their values, so today this changes nothing; it is here so that a later writer
 * who logs a value (an importer echoing a row, say) cannot keep it past an erasure.
 *
 * Numbers, booleans and null carry no identity and stay. A string stays only if it is a word from
 * `vocabulary` (contact field and channel names); any other string is replaced. Object keys are
 * written by code, not by the person, so they stay and their values are scrubbed in turn.
 */
export function scrubAuditChanges(value: unknown, vocabulary: ReadonlySet<string>): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return vocabulary.has(value) ? value : ERASED;
  if (Array.isArray(value)) return value.map((item) => scrubAuditChanges(item, vocabulary));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubAuditChanges(item, vocabulary)]));
  }
  return ERASED;
}
