import { DroppedAsk } from '../guard.types';

export interface AskFacts {
  /** Keys the guard can ask about (known and not archived). */
  askable: ReadonlySet<string>;
  /** Keys with a current answer for this contact. */
  answered: ReadonlySet<string>;
  /** Keys asked of this contact within each key's cool-down. */
  askedRecently: ReadonlySet<string>;
}

export interface AskVerdict {
  keep: string[];
  drop: DroppedAsk[];
}

/**
 * The goldfish rule for questions: never ask what the customer already told us, nor what we asked
 * within the key's cool-down. A known answer outranks a recent ask as the reason, because it is the
 * stronger one (the question would stay pointless after the cool-down too).
 */
export function judgeAsks(asks: readonly string[], facts: AskFacts): AskVerdict {
  const keep: string[] = [];
  const drop: DroppedAsk[] = [];
  for (const key of new Set(asks)) {
    if (!facts.askable.has(key)) drop.push({ key, reason: 'unknown_key' });
    else if (facts.answered.has(key)) drop.push({ key, reason: 'known_answer' });
    else if (facts.askedRecently.has(key)) drop.push({ key, reason: 'asked_recently' });
    else keep.push(key);
  }
  return { keep, drop };
}

/**
 * Why an ask-only message goes nowhere once its questions are dropped: `asked_recently` only when
 * every dropped question is merely cooling down (it may be asked later), otherwise `known_answer`.
 */
export function askOnlySkipReason(verdict: AskVerdict): 'known_answer' | 'asked_recently' | null {
  if (verdict.keep.length > 0) return null;
  const coolingOnly = verdict.drop.length > 0 && verdict.drop.every((d) => d.reason === 'asked_recently');
  return coolingOnly ? 'asked_recently' : 'known_answer';
}
