import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Role } from './api-key.entity';

/** Who is acting: recorded in the audit log and on every statement they make. */
export interface Actor {
  keyId: string | null;
  label: string;
  role: Role | 'system';
}

export const SYSTEM_ACTOR: Actor = { keyId: null, label: 'system', role: 'system' };

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return ctx.switchToHttp().getRequest<{ actor: Actor }>().actor;
});
