const DAY = 86_400_000;

/**
 * Whether one more message fits the cap, given the claim times of the messages already counted in
 * the window (any order). When it does not, `freesAt` is when enough of them leave the window.
 */
export function judgeFrequencyCap(now: Date, claimedAt: readonly Date[], capPerWindow: number, windowDays: number): { allowed: boolean; freesAt: Date | null } {
  const windowStart = now.getTime() - windowDays * DAY;
  const inWindow = claimedAt.map((d) => d.getTime()).filter((t) => t > windowStart).sort((a, b) => a - b);
  if (inWindow.length < capPerWindow) return { allowed: true, freesAt: null };
  // With n counted and room for `cap`, the (n - cap)th oldest must leave before one more fits.
  const mustLeave = inWindow[inWindow.length - capPerWindow];
  return { allowed: false, freesAt: new Date(mustLeave + windowDays * DAY) };
}
