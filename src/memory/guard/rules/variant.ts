/**
 * The variant this contact saw least recently: one never seen first (in the given order), then the
 * one seen longest ago; ties keep the given order, so the choice is stable for the same history.
 */
export function leastRecentVariant(variants: readonly string[], lastSeen: ReadonlyMap<string, Date>): string {
  if (variants.length === 0) throw new Error('pickVariant needs at least one variant');
  let best = variants[0];
  let bestSeen = lastSeen.get(best)?.getTime() ?? -Infinity;
  for (const variant of variants.slice(1)) {
    const seen = lastSeen.get(variant)?.getTime() ?? -Infinity;
    if (seen < bestSeen) {
      best = variant;
      bestSeen = seen;
    }
  }
  return best;
}
