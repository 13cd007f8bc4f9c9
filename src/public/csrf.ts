import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SecretKey } from '../config/secret-key';
import { PublicPageError } from './public-page.error';

export const CSRF_COOKIE = 'tidings_csrf';
export const CSRF_FIELD = '_csrf';

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
const FORM_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Signed double-submit CSRF tokens for the public forms. The browser holds a random value in an
 * HttpOnly, SameSite=Strict cookie; the form carries HMAC(value) under a key derived from
 * SECRET_KEY. Another site can neither read the cookie nor compute the HMAC, and a cookie planted
 * by a sibling subdomain is useless without the server's key. No server-side session is needed.
 */
@Injectable()
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(secret: SecretKey) {
    this.key = Buffer.from(hkdfSync('sha256', secret.value, Buffer.alloc(0), 'tidings csrf form token', 32));
  }

  /** The value for the form's hidden `_csrf` field; sets the cookie when the browser has none yet. */
  issue(req: Request, res: Response): string {
    let value = readCookie(req);
    if (!value) {
      value = randomBytes(32).toString('base64url');
      res.cookie(CSRF_COOKIE, value, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        path: '/',
      });
      // Later code in the same request (a second form on the page) sees the same value.
      (req.cookies as Record<string, string> | undefined) ??= {};
      (req.cookies as Record<string, string>)[CSRF_COOKIE] = value;
    }
    return this.formToken(value);
  }

  /** Whether the request carries a cookie and a form field that belong together. */
  verify(req: Request): boolean {
    const value = readCookie(req);
    const body = req.body as Record<string, unknown> | undefined;
    const given = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
    if (!value || typeof given !== 'string' || !FORM_TOKEN.test(given)) return false;
    const expected = Buffer.from(this.formToken(value), 'utf8');
    const actual = Buffer.from(given, 'utf8');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  private formToken(cookieValue: string): string {
    return createHmac('sha256', this.key).update(cookieValue).digest('base64url');
  }
}

function readCookie(req: Request): string | null {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[CSRF_COOKIE];
  return typeof value === 'string' && COOKIE_VALUE.test(value) ? value : null;
}

/**
 * Put on every public POST handler that a form submits (not on RFC 8058 one-click unsubscribe,
 * where the signed token is the authority and mail clients send no cookie). A missing or wrong
 * `_csrf` is a plain 403 page.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(private readonly tokens: CsrfTokens) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!this.tokens.verify(req)) throw new PublicPageError(HttpStatus.FORBIDDEN);
    return true;
  }
}
