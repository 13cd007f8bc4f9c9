import { SecretKey } from '../config/secret-key';
import { SignedTokens } from './signed-tokens';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';

describe('signed tokens', () => {
  const tokens = new SignedTokens(new SecretKey(Buffer.from('a-secret-for-the-token-tests-0123456789')));
  const now = new Date('2026-12-01T00:00:00Z');
  const token = tokens.sign({ purpose: 'tracking', contactId: '6f1c0c2e-8f8a-4c1e-9a57-2d1f0b6a9e11', data: { m: 'abc', l: 'def' }, expiresAt: new Date('2027-01-01T00:00:00Z') });

  it('opens for its purpose until it expires, and for no other purpose', () => {
    expect(tokens.verify(token, 'tracking', now)).toMatchObject({ ok: true, claims: { contactId: '6f1c0c2e-8f8a-4c1e-9a57-2d1f0b6a9e11', data: { m: 'abc', l: 'def' } } });
    expect(tokens.verify(token, 'preferences', now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(tokens.verify(token, 'tracking', new Date('2027-01-02T00:00:00Z'))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses every token that differs from the issued one by a single character', () => {
    const accepted: string[] = [];
    for (let at = 0; at < token.length; at++) {
      for (const c of ALPHABET) {
        if (c === token[at]) continue;
        const changed = token.slice(0, at) + c + token.slice(at + 1);
        if (tokens.verify(changed, 'tracking', now).ok) accepted.push(changed);
      }
    }
    expect(accepted).toEqual([]);
  });
});
