import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Role } from './api-key.entity';

/** Who is acting: recorded in the audit log and on every statement they make. */
export interface Actor {
  keyId: string | null;
  label: string;
  role: Role | 'system';
  /**
   * The campaigns whose records this actor may read; null means every campaign. Optional so the
   * service's own actors (web form, tracking, imports) need not spell it out: absent means null.
   * The API key guard always sets it, so every request's actor carries an explicit answer.
   */
  campaignScope?: readonly string[] | null;
}

export const SYSTEM_ACTOR: Actor = { keyId: null, label: 'system', role: 'system', campaignScope: null };

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return ctx.switchToHttp().getRequest<{ actor: Actor }>().actor;
});

/** The campaigns an actor may read, or null for all of them. */
export function campaignScopeOf(actor: Actor): readonly string[] | null {
  return actor.campaignScope ?? null;
}

/** Whether the actor may read this campaign's records. */
export function mayReadCampaign(actor: Actor, campaignId: string): boolean {
  const scope = campaignScopeOf(actor);
  return scope === null || scope.includes(campaignId.toLowerCase());
}
