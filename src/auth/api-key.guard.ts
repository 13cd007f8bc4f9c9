import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiError } from '../common/errors/api-error';
import { Actor } from './actor';
import { ROLES, Role } from './api-key.entity';
import { ApiKeysService } from './api-keys.service';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from './decorators';

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
    const key = await this.keys.authenticate(match[1]);
    if (!key) throw new ApiError(HttpStatus.UNAUTHORIZED, 'UNAUTHENTICATED', 'The API key is not valid or was revoked.');

    const required: Role =
      this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? (READ_METHODS.has(request.method) ? 'viewer' : 'marketer');
    if (ROLES.indexOf(key.role) < ROLES.indexOf(required)) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'FORBIDDEN', `This action needs the ${required} role; the key has ${key.role}.`);
    }
    request.actor = { keyId: key.id, label: `api-key:${key.name}`, role: key.role };
    return true;
  }
}
