import { SetMetadata } from '@nestjs/common';
import type { Role } from './api-key.entity';

export const PUBLIC_ROUTE = 'tidings:public-route';
export const REQUIRED_ROLE = 'tidings:required-role';

/** Marks a route that needs no API key. Every use is deliberate and reviewed. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The least role a route needs. Without it, reads need `viewer` and writes need `marketer`.
 */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

export const CAMPAIGN_SCOPED = 'tidings:campaign-scoped';

/**
 * Opens a route to campaign-scoped keys; every other route answers them 403, so a new route never
 * leaks other campaigns by default. With `param`, that path parameter is the campaign id and the guard
 * answers a campaign outside the key's scope with the same 404 as a campaign that does not exist; with
 * no parameter, the handler applies the actor's `campaignScope` to what it reads.
 */
export const CampaignScoped = (param?: string) => SetMetadata(CAMPAIGN_SCOPED, { param: param ?? null });
