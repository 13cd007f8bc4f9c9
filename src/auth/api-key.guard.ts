import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiError } from '../common/errors/api-error';
import { Actor, mayReadCampaign } from './actor';
import { ROLES, Role } from './api-key.entity';
import { ApiKeysService } from './api-keys.service';
import { CAMPAIGN_SCOPED, PUBLIC_ROUTE, REQUIRED_ROLE } from './decorators';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Every route needs a key unless marked @Public(); roles rank viewer < marketer < admin. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'UNAUTHENTICATED', 'An API key is required: Authorization: Bearer <key>.');
    }
    const actor = await this.keys.authenticate(match[1]);
    if (!actor || actor.role === 'system') throw new ApiError(HttpStatus.UNAUTHORIZED, 'UNAUTHENTICATED', 'The API key is not valid or was revoked.');

    const required: Role =
      this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? (READ_METHODS.has(request.method) ? 'viewer' : 'marketer');
    if (ROLES.indexOf(actor.role) < ROLES.indexOf(required)) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'FORBIDDEN', `This action needs the ${required} role; the key has ${actor.role}.`);
    }
    if (actor.campaignScope) this.checkCampaignScope(actor, request, this.reflector.getAllAndOverride<{ param: string | null }>(CAMPAIGN_SCOPED, targets));
    // Carries the key's campaign scope (null: every campaign) for the services that read campaign records.
    request.actor = actor;
    return true;
  }

  /** A campaign-scoped key reaches only routes marked @CampaignScoped(), and through them only its own campaigns. */
  private checkCampaignScope(actor: Actor, request: Request, marked: { param: string | null } | undefined): void {
    if (!marked) throw new ApiError(HttpStatus.FORBIDDEN, 'FORBIDDEN', 'This key is limited to some campaigns and cannot use this route.');
    if (marked.param === null) return;
    const campaignId = request.params[marked.param];
    if (typeof campaignId !== 'string') throw new ApiError(HttpStatus.FORBIDDEN, 'FORBIDDEN', 'This key is limited to some campaigns and cannot use this route.');
    // A malformed id goes on to the route's own validation (a 400 naming the field), never to a lookup.
    if (UUID.test(campaignId) && !mayReadCampaign(actor, campaignId)) throw ApiError.notFound('Campaign', campaignId);
  }
}
