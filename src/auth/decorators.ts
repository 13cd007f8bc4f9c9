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
