import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Actor } from '../../auth/actor';
import { DashboardAccessService, DASHBOARD_SESSION_COOKIE } from './dashboard-access.service';
import { DashboardPageError } from './dashboard-page.error';

/**
 * Dashboard pages are @Public() to the API key guard (a browser brings no bearer key); this guard
 * lets a request in only with a live session cookie and sets the key's actor for the handler.
 */
@Injectable()
export class DashboardSessionGuard implements CanActivate {
  constructor(private readonly access: DashboardAccessService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { actor?: Actor; cookies?: Record<string, unknown> }>();
    const actor = await this.access.actorForSession(req.cookies?.[DASHBOARD_SESSION_COOKIE]);
    if (!actor) throw new DashboardPageError(HttpStatus.UNAUTHORIZED);
    req.actor = actor;
    return true;
  }
}
