import { randomBytes } from 'node:crypto';
import { AcceptedKeyFilter } from './accepted-key.filter';

/** Keys as the planner makes them: 16 bytes of a hash, in hex. */
function keys(count: number): string[] {
  const bytes = randomBytes(count * 16);
  return Array.from({ length: count }, (_, i) => bytes.toString('hex', i * 16, i * 16 + 16));
}

describe('accepted key filter', () => {
  it('never rules out a key it was given, past its first segment, and rules out nearly all others', () => {
    const filter = new AcceptedKeyFilter();
    const added = keys(1_200_000);
    for (const key of added) filter.add(key);
    expect(added.every((key) => filter.mightContain(key))).toBe(true);
    const others = keys(50_000);
    const maybes = others.filter((key) => filter.mightContain(key)).length;
    // About 1% per segment; two segments here.
    expect(maybes / others.length).toBeLessThan(0.03);
  });
});
