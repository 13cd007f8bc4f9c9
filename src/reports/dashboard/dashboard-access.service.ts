import { HttpStatus, Injectable } from '@nestjs/common';
import type { CookieOptions } from 'express';
import { Actor } from '../../auth/actor';
import { ApiKeysService } from '../../auth/api-keys.service';
import { ApiError } from '../../common/errors/api-error';
import { SignedTokens } from '../../common/signed-tokens';
import { AppConfig, publicBaseUrl } from '../../config/app-config';
import { DashboardPageError } from './dashboard-page.error';

/** Long enough to paste into a browser, short enough that a link left in a chat is soon useless. */
export const DASHBOARD_LINK_SECONDS = 10 * 60;
/** A working day; after that the person asks for a new link. */
export const DASHBOARD_SESSION_SECONDS = 8 * 3600;
export const DASHBOARD_SESSION_COOKIE = 'tidings_dashboard';
/** The only place the entry link sends a browser. */
export const DASHBOARD_HOME = '/dashboard';

/**
 * How a browser gets into the read-only dashboard. An API key cannot ride on a page load, so a key
 * holder asks the API for a short-lived signed link naming their key; opening it exchanges it for a
 * signed session cookie naming the same key. Both tokens carry the key id only (in the token's
 * subject field), never the key itself, and every page asks `actorForKey` again, so revoking the
 * key ends its sessions at once and a session reads exactly what the key may read.
 */
@Injectable()
export class DashboardAccessService {
  constructor(
    private readonly tokens: SignedTokens,
    private readonly keys: ApiKeysService,
    private readonly config: AppConfig,
  ) {}

  link(actor: Actor, now = new Date()): { url: string; expiresAt: string } {
    // Only a key can be looked up again on every page; the service's own actors have none.
    if (!actor.keyId) throw new ApiError(HttpStatus.FORBIDDEN, 'FORBIDDEN', 'Dashboard links are issued to API keys only.');
    const expiresAt = new Date(now.getTime() + DASHBOARD_LINK_SECONDS * 1000);
    const token = this.tokens.sign({ purpose: 'dashboard-link', contactId: actor.keyId, expiresAt });
    return { url: `${publicBaseUrl(this.config)}${DASHBOARD_HOME}/enter/${token}`, expiresAt: expiresAt.toISOString() };
  }

  /**
   * The session cookie for a valid entry link: 404 for a link we did not sign (nothing to say about
   * it), 410 for an expired link or a key revoked since.
   */
  async enter(token: string, secure: boolean, now = new Date()): Promise<{ name: string; value: string; options: CookieOptions }> {
    const check = this.tokens.verify(token, 'dashboard-link', now);
    if (!check.ok) throw new DashboardPageError(check.reason === 'expired' ? HttpStatus.GONE : HttpStatus.NOT_FOUND);
    const actor = await this.keys.actorForKey(check.claims.contactId);
    if (!actor) throw new DashboardPageError(HttpStatus.GONE);
    const expiresAt = new Date(now.getTime() + DASHBOARD_SESSION_SECONDS * 1000);
    return {
      name: DASHBOARD_SESSION_COOKIE,
      value: this.tokens.sign({ purpose: 'dashboard-session', contactId: check.claims.contactId, expiresAt }),
      options: { httpOnly: true, sameSite: 'strict', path: DASHBOARD_HOME, secure, expires: expiresAt },
    };
  }

  /** The actor behind a session cookie, or null when there is none, it is not ours, it expired or its key was revoked. */
  async actorForSession(cookie: unknown, now = new Date()): Promise<Actor | null> {
    if (typeof cookie !== 'string') return null;
    const check = this.tokens.verify(cookie, 'dashboard-session', now);
    if (!check.ok) return null;
    return this.keys.actorForKey(check.claims.contactId);
  }
}
