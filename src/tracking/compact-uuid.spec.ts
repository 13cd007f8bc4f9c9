import { randomUUID } from 'node:crypto';
import { compactUuid, expandUuid } from './compact-uuid';

describe('compact UUIDs', () => {
  it('round-trips in 22 characters', () => {
    for (let i = 0; i < 100; i++) {
      const id = randomUUID();
      const compact = compactUuid(id);
      expect(compact).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(expandUuid(compact)).toBe(id);
    }
  });

  it('refuses anything compactUuid did not write', () => {
    const compact = compactUuid('0b7e2f3c-6a4d-4c1e-9f2a-3d5b7c9e1f20');
    // The last character carries 2 bits of the UUID and 4 that must be zero; setting one is not canonical.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    expect(expandUuid(compact.slice(0, 21) + alphabet[alphabet.indexOf(compact[21]) | 1])).toBeNull();
    expect(expandUuid(compact + 'A')).toBeNull();
    expect(expandUuid('not a compact id!!!!!!')).toBeNull();
    expect(() => compactUuid('nope')).toThrow();
  });
});
