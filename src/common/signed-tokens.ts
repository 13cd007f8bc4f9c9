import { Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { SecretKey } from '../config/secret-key';

/** What a public link may do. A token signed for one purpose never opens another. */
export type TokenPurpose = 'unsubscribe' | 'preferences' | 'tracking' | 'confirm-signup' | 'dashboard-link' | 'dashboard-session';

export interface TokenClaims {
  purpose: TokenPurpose;
  /** The contact the link belongs to; a token can never act for anyone else. */
  contactId: string;
  /** Optional purpose-specific data (channel, topic, message id). Kept short: it travels in the URL. */
  data?: Record<string, string>;
  expiresAt: Date;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_purpose' | 'expired' };

const MAC_BYTES = 16;

/**
 * Compact signed tokens for public links: base64url(JSON claims) "." base64url(HMAC-SHA256, 128 bits).
 * Each purpose signs with its own key derived from SECRET_KEY (HKDF), so a token cannot be replayed
 * for another purpose even if its claims were edited to match. Claims are signed, not encrypted:
 * they hold ids, never names or addresses.
 */
@Injectable()
export class SignedTokens {
  private readonly keys = new Map<TokenPurpose, Buffer>();

  constructor(private readonly secret: SecretKey) {}

  sign(claims: TokenClaims): string {
    const body = Buffer.from(
      JSON.stringify({ p: claims.purpose, c: claims.contactId, e: Math.floor(claims.expiresAt.getTime() / 1000), ...(claims.data ? { d: claims.data } : {}) }),
      'utf8',
    ).toString('base64url');
    return `${body}.${this.mac(claims.purpose, body).toString('base64url')}`;
  }

  verify(token: string, purpose: TokenPurpose, now = new Date()): TokenCheck {
    const match = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{22})$/.exec(token ?? '');
    if (!match) return { ok: false, reason: 'malformed' };
    const [, body, signature] = match;
    let parsed: { p?: unknown; c?: unknown; e?: unknown; d?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.p !== 'string' || typeof parsed.c !== 'string' || typeof parsed.e !== 'number') {
      return { ok: false, reason: 'malformed' };
    }
    // The MAC is checked under the purpose the caller expects, so a token of another purpose fails here.
    // Compared as text: base64url decoding ignores the last character's spare bits, and a token
    // must have exactly one spelling, or a changed character would still pass.
    const expected = Buffer.from(this.mac(purpose, body).toString('base64url'));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
    if (parsed.p !== purpose) return { ok: false, reason: 'wrong_purpose' };
    if (parsed.e * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
    const data = isStringRecord(parsed.d) ? parsed.d : undefined;
    return { ok: true, claims: { purpose, contactId: parsed.c, expiresAt: new Date(parsed.e * 1000), ...(data ? { data } : {}) } };
  }

  private mac(purpose: TokenPurpose, body: string): Buffer {
    let key = this.keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.secret.value, Buffer.alloc(0), `tidings public token: ${purpose}`, 32));
      this.keys.set(purpose, key);
    }
    return createHmac('sha256', key).update(body).digest().subarray(0, MAC_BYTES);
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}
