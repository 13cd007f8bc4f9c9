import { askOnlySkipReason, judgeAsks } from './asks';
import { contentFingerprint } from './fingerprint';
import { judgeFrequencyCap } from './frequency-cap';
import { ContactFacts, judgeReachability } from './reachability';
import { leastRecentVariant } from './variant';

describe('content fingerprint', () => {
  it('ignores how the text is wrapped and spaced, but not the words or their case', () => {
    const base = contentFingerprint('Happy birthday, Mr Li!\nSee you soon.');
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(contentFingerprint('  Happy   birthday, Mr Li!\r\n\tSee you soon.  ')).toBe(base);
    expect(contentFingerprint('Happy birthday,\u00a0Mr Li!\u3000See you soon.')).toBe(base);
    expect(contentFingerprint('Happy birthday, Mr Wang! See you soon.')).not.toBe(base);
    expect(contentFingerprint('happy birthday, Mr Li! See you soon.')).not.toBe(base);
  });

  it('treats composed and decomposed accents as the same text', () => {
    expect(contentFingerprint('Caf\u00e9')).toBe(contentFingerprint('Cafe\u0301'));
  });
});

describe('asks', () => {
  const facts = {
    askable: new Set(['drink', 'newspaper', 'topics']),
    answered: new Set(['drink']),
    askedRecently: new Set(['drink', 'newspaper']),
  };

  it('drops known answers first, then questions asked within the cool-down, and unknown keys', () => {
    expect(judgeAsks(['drink', 'newspaper', 'topics', 'shoe_size', 'topics'], facts)).toEqual({
      keep: ['topics'],
      drop: [
        { key: 'drink', reason: 'known_answer' },
        { key: 'newspaper', reason: 'asked_recently' },
        { key: 'shoe_size', reason: 'unknown_key' },
      ],
    });
  });

  it('skips an ask-only message with nothing left to ask, saying why', () => {
    expect(askOnlySkipReason(judgeAsks(['topics'], facts))).toBeNull();
    expect(askOnlySkipReason(judgeAsks(['drink'], facts))).toBe('known_answer');
    expect(askOnlySkipReason(judgeAsks(['newspaper'], facts))).toBe('asked_recently');
    expect(askOnlySkipReason(judgeAsks(['drink', 'newspaper'], facts))).toBe('known_answer');
    expect(askOnlySkipReason(judgeAsks([], facts))).toBe('known_answer');
  });
});

describe('frequency cap', () => {
  const now = new Date('2027-05-17T12:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

  it('allows up to the cap within the window and ignores older messages', () => {
    expect(judgeFrequencyCap(now, [daysAgo(1)], 2, 7)).toEqual({ allowed: true, freesAt: null });
    expect(judgeFrequencyCap(now, [daysAgo(1), daysAgo(8)], 2, 7).allowed).toBe(true);
  });

  it('refuses at the cap and says when enough messages leave the window', () => {
    expect(judgeFrequencyCap(now, [daysAgo(1), daysAgo(3)], 2, 7)).toEqual({ allowed: false, freesAt: new Date(daysAgo(3).getTime() + 7 * 86_400_000) });
    // Three counted (a care message pushed it over): two must leave, so the second oldest decides.
    expect(judgeFrequencyCap(now, [daysAgo(2), daysAgo(6), daysAgo(4)], 2, 7).freesAt).toEqual(new Date(daysAgo(4).getTime() + 7 * 86_400_000));
  });
});

describe('variant rotation', () => {
  it('prefers a variant never seen, then the one seen longest ago, keeping the given order for ties', () => {
    const seen = new Map([
      ['a', new Date('2027-01-01')],
      ['b', new Date('2026-01-01')],
    ]);
    expect(leastRecentVariant(['a', 'b', 'c', 'd'], seen)).toBe('c');
    expect(leastRecentVariant(['a', 'b'], seen)).toBe('b');
    expect(leastRecentVariant(['x', 'y'], new Map())).toBe('x');
    expect(leastRecentVariant(['a', 'b'], new Map([['a', new Date('2027-01-01')], ['b', new Date('2027-01-01')]]))).toBe('a');
    expect(() => leastRecentVariant([], new Map())).toThrow();
  });
});

describe('reachability', () => {
  const contact: ContactFacts = {
    id: 'c', email: 'li@example.com', phone: '+8613800138000', address: { street: 'Nanjing Road', city: 'Shanghai', country: 'CN' },
    timeZone: 'Asia/Shanghai', deletedAt: null, erasedAt: null,
  };
  const ok = { consent: 'granted' as const, hardBounce: false };
  const optIn = ['email', 'sms'] as const;

  it('refuses erased before anything else, then consent, address and bounces', () => {
    expect(judgeReachability({ ...contact, erasedAt: new Date(), email: null }, 'email', { consent: 'revoked', hardBounce: true }, [...optIn])?.reason).toBe('erased');
    expect(judgeReachability({ ...contact, deletedAt: new Date() }, 'email', ok, [...optIn])?.reason).toBe('erased');
    expect(judgeReachability({ ...contact, email: null }, 'email', { consent: 'revoked', hardBounce: false }, [...optIn])?.reason).toBe('opted_out');
    expect(judgeReachability(contact, 'sms', { consent: null, hardBounce: false }, [...optIn])?.reason).toBe('no_consent');
    expect(judgeReachability({ ...contact, email: null }, 'email', ok, [...optIn])?.reason).toBe('no_address');
    expect(judgeReachability(contact, 'email', { consent: 'granted', hardBounce: true }, [...optIn])?.reason).toBe('bounced');
    expect(judgeReachability(contact, 'email', ok, [...optIn])).toBeNull();
  });

  it('sends printed mail without a recorded grant (opt-out channel) but never without a street and city', () => {
    expect(judgeReachability(contact, 'mail', { consent: null, hardBounce: false }, [...optIn])).toBeNull();
    expect(judgeReachability(contact, 'mail', { consent: 'revoked', hardBounce: false }, [...optIn])?.reason).toBe('opted_out');
    expect(judgeReachability({ ...contact, address: { country: 'CN', city: 'Shanghai' } }, 'mail', ok, [...optIn])?.reason).toBe('no_address');
  });
});
