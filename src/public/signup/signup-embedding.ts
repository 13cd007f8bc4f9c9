import { CanActivate, ExecutionContext, HttpStatus, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { AppConfig, publicBaseUrl } from '../../config/app-config';
import { SecretKey } from '../../config/secret-key';
import { CsrfTokens } from '../csrf';
import { PublicPageError } from '../public-page.error';

/** The hidden field that carries the embed token. */
export const EMBED_FIELD = '_form';
/** How long a form served to an embed may wait before it is sent. */
const EMBED_TOKEN_SECONDS = 24 * 3600;

/**
 * Lets other sites show the sign-up form in an iframe. helmet sends `frame-ancestors 'self'` and
 * `X-Frame-Options: SAMEORIGIN` on every response; on the sign-up form (GET and POST /signup, so
 * the answer after sending shows in the frame too) they become SIGNUP_FRAME_ANCESTORS. Every other
 * page, the confirmation link included, stays unframeable.
 */
@Injectable()
export class SignupFramingMiddleware implements NestMiddleware {
  constructor(private readonly config: AppConfig) {}

  use(_req: Request, res: Response, next: NextFunction): void {
    allowFraming(res, this.config.SIGNUP_FRAME_ANCESTORS);
    next();
  }
}

export function allowFraming(res: Response, ancestors: string): void {
  res.removeHeader('X-Frame-Options');
  const current = res.getHeader('Content-Security-Policy');
  const directives = (typeof current === 'string' ? current.split(';') : [])
    .map((d) => d.trim())
    .filter((d) => d.length > 0 && !/^frame-ancestors(\s|$)/i.test(d));
  directives.push(`frame-ancestors ${ancestors}`);
  res.setHeader('Content-Security-Policy', directives.join(';'));
}

/**
 * Signed "this form was served by us" tokens for the embedded form: the issue time and an HMAC
 * under a key of its own derived from SECRET_KEY.
 */
@Injectable()
export class EmbedFormTokens {
  private readonly key: Buffer;

  constructor(secret: SecretKey) {
    this.key = Buffer.from(hkdfSync('sha256', secret.value, Buffer.alloc(0), 'tidings signup embed form', 32));
  }

  issue(now = Date.now()): string {
    const issued = Math.floor(now / 1000).toString(36);
    return `${issued}.${this.mac(issued)}`;
  }

  verify(token: unknown, now = Date.now()): boolean {
    if (typeof token !== 'string') return false;
    const match = /^([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$/.exec(token);
    if (!match) return false;
    const expected = Buffer.from(this.mac(match[1]));
    const given = Buffer.from(match[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    const age = now / 1000 - parseInt(match[1], 36);
    return age >= -300 && age <= EMBED_TOKEN_SECONDS;
  }

  private mac(issued: string): string {
    return createHmac('sha256', this.key).update(issued).digest().subarray(0, 16).toString('base64url');
  }
}

/**
 * CSRF protection for POST /signup that also works inside an iframe on another site. There the
 * browser treats our pages as third-party: it neither stores nor sends CsrfGuard's SameSite=Strict
 * cookie, so the double-submit check alone would refuse every embedded sign-up. A post without
 * that cookie is accepted only when the browser itself says it came from one of our pages —
 * `Sec-Fetch-Site: same-origin` or an `Origin` equal to ours, headers no page on another site can
 * set — and it carries an embed token we signed within the day. A plain HTML form on another
 * origin posting here is refused either way (403), as is a post with neither check.
 */
@Injectable()
export class SignupCsrfGuard implements CanActivate {
  constructor(
    private readonly csrf: CsrfTokens,
    private readonly embedTokens: EmbedFormTokens,
    private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (this.csrf.verify(req)) return true;
    const body = req.body as Record<string, unknown> | undefined;
    if (this.fromOurOwnPage(req) && this.embedTokens.verify(body?.[EMBED_FIELD])) return true;
    throw new PublicPageError(HttpStatus.FORBIDDEN);
  }

  private fromOurOwnPage(req: Request): boolean {
    if (req.headers['sec-fetch-site'] === 'same-origin') return true;
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || origin === 'null') return false;
    const ours = [new URL(publicBaseUrl(this.config)).origin, `${req.protocol}://${req.get('host') ?? ''}`];
    return ours.includes(origin);
  }
}
